-- Why: three foreign keys had no index leading with their columns (Supabase's linter: INFO
-- unindexed_foreign_keys; issue 9 item 5), so deleting or re-keying a referenced row scanned the
-- whole referencing table under lock: a product of the catalogue (dossiers), a user (simulations they
-- created) and a simulation (the dossier history rows it wrote).
create index if not exists dossiers_product_code_idx on public.dossiers (product_code);
create index if not exists simulations_created_by_idx on public.simulations (created_by);
create index if not exists dossier_amount_history_simulation_id_idx on public.dossier_amount_history (simulation_id);
