"""The dossier: its statuses, commands (one state machine, in the database), list, detail and timeline.

The state machine is data (``public.dossier_statuses``, ``public.dossier_transitions``) applied by one
SQL function, ``private.change_dossier_status``, the only writer of ``dossiers.status``. Commands
are reached through ``public.dossier_command(p_dossier_id, p_command, p_payload)`` (PostgREST RPC or
the `dossier` function), which dispatches to ``private.dossier_cmd_<command>(p_dossier, p_payload)``;
the documents and invoices capabilities add theirs with the same signature. Errors: ``PTxxx`` with
the stable code in the hint; 422 ``validation_failed`` carries ``{"field", "rule"}`` in the detail,
409 ``invalid_transition`` the current status and the commands allowed now. See migration 0050.
"""
