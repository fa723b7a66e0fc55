-- Why: seeds rule set FR-2025.1 (effective 2025-01-01) and the products it prices, from the
-- document bundled as shared/simulation/rulesets/FR-2025.1.json (embedded verbatim below).
with doc as (select $ruleset${
 "version": "FR-2025.1",
 "effective_from": "2025-01-01",
 "description": "Questionnaire, eligibility rules and formulas of rule set FR-2025.1 (docs: shared/domain/SIMULATION.md). Numbers are decimal strings; amounts are estimated annual gains in euros, rounded half-up to the cent. A rule is {question, operator, value} or {all: [...]} / {any: [...]}; a reason is the French sentence shown when that part of the rule fails. tranche_values give the number a tranche label stands for; formulas and comparisons read it, or the exact number when one was given.",
 "questions": [
  {
   "code": "GENERAL_001",
   "order": 1,
   "label": "Secteur d'activité",
   "label_en": "Business sector",
   "type": "choice",
   "unit": null,
   "options": [
    "Transport et Logistique",
    "Commerce et Distribution",
    "Industrie et Fabrication",
    "Services aux Entreprises",
    "BTP et Construction",
    "Restauration et Hôtellerie",
    "Santé et Services Sociaux",
    "Agriculture et Agroalimentaire",
    "Services à la Personne",
    "Autre secteur"
   ],
   "tranche_values": null,
   "min": null,
   "max": null,
   "required": true,
   "condition": null
  },
  {
   "code": "GENERAL_002",
   "order": 2,
   "label": "Chiffre d'affaires annuel",
   "label_en": "Annual revenue",
   "type": "tranche_or_number",
   "unit": "€",
   "options": [
    "Moins de 100 000€",
    "100 000€ - 500 000€",
    "500 000€ - 1 000 000€",
    "1 000 000€ - 5 000 000€",
    "Plus de 5 000 000€"
   ],
   "tranche_values": {
    "Moins de 100 000€": "50000",
    "100 000€ - 500 000€": "300000",
    "500 000€ - 1 000 000€": "750000",
    "1 000 000€ - 5 000 000€": "3000000",
    "Plus de 5 000 000€": "7500000"
   },
   "min": "0",
   "max": "1000000000",
   "required": true,
   "condition": null
  },
  {
   "code": "GENERAL_003",
   "order": 3,
   "label": "Nombre de salariés",
   "label_en": "Number of employees",
   "type": "tranche_or_integer",
   "unit": "salariés",
   "options": [
    "Aucun",
    "1 à 5",
    "6 à 20",
    "21 à 50",
    "Plus de 50"
   ],
   "tranche_values": {
    "Aucun": "0",
    "1 à 5": "3",
    "6 à 20": "13",
    "21 à 50": "35",
    "Plus de 50": "75"
   },
   "min": "0",
   "max": "100000",
   "required": true,
   "condition": null
  },
  {
   "code": "GENERAL_004",
   "order": 4,
   "label": "Propriétaire de vos locaux ?",
   "label_en": "Do you own your business premises?",
   "type": "yes_no",
   "unit": null,
   "options": [
    "Oui",
    "Non"
   ],
   "tranche_values": null,
   "min": null,
   "max": null,
   "required": true,
   "condition": null
  },
  {
   "code": "FONCIER_001",
   "order": 5,
   "label": "Montant annuel de la taxe foncière (€)",
   "label_en": "Annual property tax (€)",
   "type": "number",
   "unit": "€",
   "options": [],
   "tranche_values": null,
   "min": "0",
   "max": "10000000",
   "required": true,
   "condition": {
    "question": "GENERAL_004",
    "operator": "equals",
    "value": "Oui",
    "reason": null,
    "reason_en": null
   }
  },
  {
   "code": "RECOUVR_001",
   "order": 6,
   "label": "Avez-vous des impayés clients ?",
   "label_en": "Do you have unpaid customer invoices?",
   "type": "choice",
   "unit": "€",
   "options": [
    "Non",
    "Oui, montant faible (< 10 000€)",
    "Oui, montant modéré (10 000€ - 50 000€)",
    "Oui, montant important (> 50 000€)"
   ],
   "tranche_values": {
    "Non": "0",
    "Oui, montant faible (< 10 000€)": "5000",
    "Oui, montant modéré (10 000€ - 50 000€)": "30000",
    "Oui, montant important (> 50 000€)": "75000"
   },
   "min": null,
   "max": null,
   "required": true,
   "condition": null
  },
  {
   "code": "ENERGIE_ELEC_FACTURES",
   "order": 7,
   "label": "Factures d'électricité ?",
   "label_en": "Do you pay electricity bills?",
   "type": "yes_no",
   "unit": null,
   "options": [
    "Oui",
    "Non"
   ],
   "tranche_values": null,
   "min": null,
   "max": null,
   "required": true,
   "condition": null
  },
  {
   "code": "ENERGIE_ELEC_MONTANT",
   "order": 8,
   "label": "Montant mensuel d'électricité (€)",
   "label_en": "Monthly electricity bill (€)",
   "type": "number",
   "unit": "€/mois",
   "options": [],
   "tranche_values": null,
   "min": "0",
   "max": "1000000",
   "required": true,
   "condition": {
    "question": "ENERGIE_ELEC_FACTURES",
    "operator": "equals",
    "value": "Oui",
    "reason": null,
    "reason_en": null
   }
  },
  {
   "code": "ENERGIE_GAZ_FACTURES",
   "order": 9,
   "label": "Factures de gaz ?",
   "label_en": "Do you pay gas bills?",
   "type": "yes_no",
   "unit": null,
   "options": [
    "Oui",
    "Non"
   ],
   "tranche_values": null,
   "min": null,
   "max": null,
   "required": true,
   "condition": null
  },
  {
   "code": "ENERGIE_GAZ_MONTANT",
   "order": 10,
   "label": "Montant mensuel de gaz (€)",
   "label_en": "Monthly gas bill (€)",
   "type": "number",
   "unit": "€/mois",
   "options": [],
   "tranche_values": null,
   "min": "0",
   "max": "1000000",
   "required": true,
   "condition": {
    "question": "ENERGIE_GAZ_FACTURES",
    "operator": "equals",
    "value": "Oui",
    "reason": null,
    "reason_en": null
   }
  },
  {
   "code": "TICPE_001",
   "order": 11,
   "label": "Véhicules professionnels ?",
   "label_en": "Do you have professional vehicles?",
   "type": "yes_no",
   "unit": null,
   "options": [
    "Oui",
    "Non"
   ],
   "tranche_values": null,
   "min": null,
   "max": null,
   "required": true,
   "condition": null
  },
  {
   "code": "TICPE_003",
   "order": 12,
   "label": "Types de véhicules",
   "label_en": "Vehicle types",
   "type": "multi_choice",
   "unit": null,
   "options": [
    "Camions de plus de 7,5 tonnes",
    "Camions de 3,5 à 7,5 tonnes",
    "Engins de chantier",
    "Tracteurs agricoles",
    "Véhicules légers"
   ],
   "tranche_values": null,
   "min": null,
   "max": null,
   "required": true,
   "condition": {
    "question": "TICPE_001",
    "operator": "equals",
    "value": "Oui",
    "reason": null,
    "reason_en": null
   }
  },
  {
   "code": "TICPE_002",
   "order": 13,
   "label": "Litres de carburant par mois",
   "label_en": "Fuel litres per month",
   "type": "number",
   "unit": "L/mois",
   "options": [],
   "tranche_values": null,
   "min": "0",
   "max": "1000000",
   "required": true,
   "condition": {
    "question": "TICPE_001",
    "operator": "equals",
    "value": "Oui",
    "reason": null,
    "reason_en": null
   }
  },
  {
   "code": "DFS_001",
   "order": 14,
   "label": "Nombre de chauffeurs",
   "label_en": "Number of drivers",
   "type": "integer",
   "unit": "chauffeurs",
   "options": [],
   "tranche_values": null,
   "min": "0",
   "max": "1000",
   "required": true,
   "condition": {
    "question": "GENERAL_001",
    "operator": "equals",
    "value": "Transport et Logistique",
    "reason": null,
    "reason_en": null
   }
  }
 ],
 "products": [
  {
   "code": "ticpe",
   "order": 1,
   "name": "TICPE",
   "name_en": "TICPE (fuel excise duty refund)",
   "category": "Optimisation Énergétique",
   "category_en": "Energy optimisation",
   "kind": "financial",
   "active": true,
   "sectors": [],
   "notes": "0,20 € par litre de carburant consommé",
   "notes_en": "€0.20 per litre of fuel consumed",
   "benefits": [
    {
     "label": "Remboursement partiel de la taxe sur le carburant professionnel (TICPE)",
     "label_en": "Partial refund of the excise duty on professional fuel (TICPE)"
    },
    {
     "label": "Demande de remboursement préparée par un expert",
     "label_en": "Refund claim prepared by an expert"
    }
   ],
   "eligibility": {
    "all": [
     {
      "question": "TICPE_001",
      "operator": "equals",
      "value": "Oui",
      "reason": "Aucun véhicule professionnel déclaré",
      "reason_en": "No professional vehicle declared"
     },
     {
      "any": [
       {
        "question": "TICPE_003",
        "operator": "includes",
        "value": "Camions de plus de 7,5 tonnes",
        "reason": null,
        "reason_en": null
       },
       {
        "question": "TICPE_003",
        "operator": "includes",
        "value": "Engins de chantier",
        "reason": null,
        "reason_en": null
       },
       {
        "question": "TICPE_003",
        "operator": "includes",
        "value": "Tracteurs agricoles",
        "reason": null,
        "reason_en": null
       }
      ],
      "reason": "Aucun véhicule éligible (poids lourds > 7,5 t, engins de chantier ou tracteurs agricoles)",
      "reason_en": "No eligible vehicle (trucks over 7.5 t, construction machinery or farm tractors)"
     },
     {
      "question": "TICPE_002",
      "operator": "gt",
      "value": "0",
      "reason": "Aucune consommation de carburant déclarée",
      "reason_en": "No fuel consumption declared"
     }
    ],
    "reason": null,
    "reason_en": null
   },
   "formula": {
    "type": "product",
    "variable": "TICPE_002",
    "factors": [
     {
      "value": "12",
      "label": "mois par an",
      "label_en": "months per year"
     },
     {
      "value": "0.20",
      "label": "€ remboursés par litre",
      "label_en": "€ refunded per litre"
     }
    ],
    "description": "litres de carburant par mois × 12 × 0,20 €",
    "description_en": "fuel litres per month × 12 × €0.20"
   }
  },
  {
   "code": "urssaf",
   "order": 2,
   "name": "URSSAF",
   "name_en": "URSSAF (social contributions)",
   "category": "Optimisation Sociale",
   "category_en": "Social optimisation",
   "kind": "financial",
   "active": true,
   "sectors": [],
   "notes": "Réduction de 10 % de la masse salariale estimée",
   "notes_en": "10% reduction of the estimated payroll",
   "benefits": [
    {
     "label": "Audit des cotisations sociales et des exonérations applicables",
     "label_en": "Audit of social contributions and applicable exemptions"
    },
    {
     "label": "Récupération des cotisations versées en trop",
     "label_en": "Recovery of overpaid contributions"
    }
   ],
   "eligibility": {
    "question": "GENERAL_003",
    "operator": "gt",
    "value": "0",
    "reason": "Aucun salarié déclaré",
    "reason_en": "No employee declared"
   },
   "formula": {
    "type": "product",
    "variable": "GENERAL_003",
    "factors": [
     {
      "value": "35000",
      "label": "€ de salaire brut annuel moyen",
      "label_en": "€ average gross annual salary"
     },
     {
      "value": "0.10",
      "label": "taux d'optimisation de 10 %",
      "label_en": "10% optimisation rate"
     }
    ],
    "description": "salariés × 35 000 € × 10 %",
    "description_en": "employees × €35,000 × 10%"
   }
  },
  {
   "code": "dfs",
   "order": 3,
   "name": "DFS",
   "name_en": "DFS (drivers' specific flat-rate deduction)",
   "category": "Optimisation Sociale",
   "category_en": "Social optimisation",
   "kind": "financial",
   "active": true,
   "sectors": [
    "Transport et Logistique"
   ],
   "notes": "150 € par chauffeur et par mois",
   "notes_en": "€150 per driver per month",
   "benefits": [
    {
     "label": "Application de la déduction forfaitaire spécifique sur les bulletins des chauffeurs",
     "label_en": "Specific flat-rate deduction applied to drivers' payslips"
    },
    {
     "label": "Baisse des cotisations patronales",
     "label_en": "Lower employer contributions"
    }
   ],
   "eligibility": {
    "all": [
     {
      "question": "GENERAL_001",
      "operator": "equals",
      "value": "Transport et Logistique",
      "reason": "Réservé au secteur Transport et Logistique",
      "reason_en": "Transport and logistics sector only"
     },
     {
      "question": "DFS_001",
      "operator": "gt",
      "value": "0",
      "reason": "Aucun chauffeur déclaré",
      "reason_en": "No driver declared"
     }
    ],
    "reason": null,
    "reason_en": null
   },
   "formula": {
    "type": "product",
    "variable": "DFS_001",
    "factors": [
     {
      "value": "150",
      "label": "€ par chauffeur et par mois",
      "label_en": "€ per driver per month"
     },
     {
      "value": "12",
      "label": "mois par an",
      "label_en": "months per year"
     }
    ],
    "description": "chauffeurs × 150 € × 12",
    "description_en": "drivers × €150 × 12"
   }
  },
  {
   "code": "foncier",
   "order": 4,
   "name": "Foncier",
   "name_en": "Property tax",
   "category": "Optimisation Fiscale",
   "category_en": "Tax optimisation",
   "kind": "financial",
   "active": true,
   "sectors": [],
   "notes": "Montant récupérable jusqu'à 6 ans selon conditions",
   "notes_en": "Recoverable over up to 6 years depending on conditions",
   "benefits": [
    {
     "label": "Vérification de la base d'imposition de la taxe foncière",
     "label_en": "Check of the property tax assessment"
    },
    {
     "label": "Réclamation auprès de l'administration fiscale",
     "label_en": "Claim filed with the tax administration"
    }
   ],
   "eligibility": {
    "all": [
     {
      "question": "GENERAL_004",
      "operator": "equals",
      "value": "Oui",
      "reason": "Vous n'êtes pas propriétaire de vos locaux",
      "reason_en": "You do not own your premises"
     },
     {
      "question": "FONCIER_001",
      "operator": "gt",
      "value": "0",
      "reason": "Aucune taxe foncière déclarée",
      "reason_en": "No property tax declared"
     }
    ],
    "reason": null,
    "reason_en": null
   },
   "formula": {
    "type": "percentage",
    "variable": "FONCIER_001",
    "rate": "20",
    "description": "taxe foncière annuelle × 20 %",
    "description_en": "annual property tax × 20%"
   }
  },
  {
   "code": "msa",
   "order": 5,
   "name": "MSA",
   "name_en": "MSA (agricultural social contributions)",
   "category": "Optimisation Sociale",
   "category_en": "Social optimisation",
   "kind": "financial",
   "active": true,
   "sectors": [
    "Agriculture et Agroalimentaire"
   ],
   "notes": "6,5 % du chiffre d'affaires",
   "notes_en": "6.5% of revenue",
   "benefits": [
    {
     "label": "Optimisation des cotisations MSA",
     "label_en": "Optimisation of MSA contributions"
    },
    {
     "label": "Vérification des exonérations agricoles applicables",
     "label_en": "Check of applicable agricultural exemptions"
    }
   ],
   "eligibility": {
    "all": [
     {
      "question": "GENERAL_001",
      "operator": "equals",
      "value": "Agriculture et Agroalimentaire",
      "reason": "Réservé au secteur Agriculture et Agroalimentaire",
      "reason_en": "Agriculture and food sector only"
     },
     {
      "question": "GENERAL_002",
      "operator": "gt",
      "value": "0",
      "reason": "Chiffre d'affaires nul",
      "reason_en": "Zero revenue"
     }
    ],
    "reason": null,
    "reason_en": null
   },
   "formula": {
    "type": "percentage",
    "variable": "GENERAL_002",
    "rate": "6.5",
    "description": "chiffre d'affaires × 6,5 %",
    "description_en": "revenue × 6.5%"
   }
  },
  {
   "code": "energie_elec",
   "order": 6,
   "name": "Optimisation fournisseur électricité",
   "name_en": "Electricity supplier optimisation",
   "category": "Optimisation Énergétique",
   "category_en": "Energy optimisation",
   "kind": "financial",
   "active": true,
   "sectors": [],
   "notes": "20 % d'économie sur un an de factures d'électricité",
   "notes_en": "20% saving on a year of electricity bills",
   "benefits": [
    {
     "label": "Mise en concurrence des fournisseurs d'électricité",
     "label_en": "Electricity suppliers put in competition"
    },
    {
     "label": "Contrat adapté à votre consommation",
     "label_en": "A contract that fits your consumption"
    }
   ],
   "eligibility": {
    "all": [
     {
      "question": "ENERGIE_ELEC_FACTURES",
      "operator": "equals",
      "value": "Oui",
      "reason": "Aucune facture d'électricité déclarée",
      "reason_en": "No electricity bill declared"
     },
     {
      "question": "ENERGIE_ELEC_MONTANT",
      "operator": "gt",
      "value": "0",
      "reason": "Montant des factures d'électricité nul",
      "reason_en": "Electricity bills amount to zero"
     }
    ],
    "reason": null,
    "reason_en": null
   },
   "formula": {
    "type": "product",
    "variable": "ENERGIE_ELEC_MONTANT",
    "factors": [
     {
      "value": "12",
      "label": "mois par an",
      "label_en": "months per year"
     },
     {
      "value": "0.20",
      "label": "20 % d'économie",
      "label_en": "20% saving"
     }
    ],
    "description": "facture mensuelle × 12 × 20 %",
    "description_en": "monthly bill × 12 × 20%"
   }
  },
  {
   "code": "energie_gaz",
   "order": 7,
   "name": "Optimisation fournisseur gaz",
   "name_en": "Gas supplier optimisation",
   "category": "Optimisation Énergétique",
   "category_en": "Energy optimisation",
   "kind": "financial",
   "active": true,
   "sectors": [],
   "notes": "20 % d'économie sur un an de factures de gaz",
   "notes_en": "20% saving on a year of gas bills",
   "benefits": [
    {
     "label": "Mise en concurrence des fournisseurs de gaz",
     "label_en": "Gas suppliers put in competition"
    },
    {
     "label": "Contrat adapté à votre consommation",
     "label_en": "A contract that fits your consumption"
    }
   ],
   "eligibility": {
    "all": [
     {
      "question": "ENERGIE_GAZ_FACTURES",
      "operator": "equals",
      "value": "Oui",
      "reason": "Aucune facture de gaz déclarée",
      "reason_en": "No gas bill declared"
     },
     {
      "question": "ENERGIE_GAZ_MONTANT",
      "operator": "gt",
      "value": "0",
      "reason": "Montant des factures de gaz nul",
      "reason_en": "Gas bills amount to zero"
     }
    ],
    "reason": null,
    "reason_en": null
   },
   "formula": {
    "type": "product",
    "variable": "ENERGIE_GAZ_MONTANT",
    "factors": [
     {
      "value": "12",
      "label": "mois par an",
      "label_en": "months per year"
     },
     {
      "value": "0.20",
      "label": "20 % d'économie",
      "label_en": "20% saving"
     }
    ],
    "description": "facture mensuelle × 12 × 20 %",
    "description_en": "monthly bill × 12 × 20%"
   }
  },
  {
   "code": "recouvrement",
   "order": 8,
   "name": "Recouvrement",
   "name_en": "Debt recovery",
   "category": "Services Juridiques et Recouvrement",
   "category_en": "Legal services and debt recovery",
   "kind": "financial",
   "active": true,
   "sectors": [],
   "notes": "Montant des impayés clients à recouvrer",
   "notes_en": "Amount of unpaid customer invoices to recover",
   "benefits": [
    {
     "label": "Relances amiables puis judiciaires menées par un avocat",
     "label_en": "Amicable then legal collection led by a lawyer"
    },
    {
     "label": "Trésorerie retrouvée",
     "label_en": "Cash flow restored"
    }
   ],
   "eligibility": {
    "question": "RECOUVR_001",
    "operator": "not_equals",
    "value": "Non",
    "reason": "Aucun impayé client déclaré",
    "reason_en": "No unpaid customer invoice declared"
   },
   "formula": {
    "type": "percentage",
    "variable": "RECOUVR_001",
    "rate": "100",
    "description": "montant estimé des impayés × 100 %",
    "description_en": "estimated unpaid invoices × 100%"
   }
  },
  {
   "code": "chronotachygraphes",
   "order": 9,
   "name": "Chronotachygraphes digitaux",
   "name_en": "Digital tachographs",
   "category": "Logiciels et Outils Numériques",
   "category_en": "Software and digital tools",
   "kind": "qualitative",
   "active": true,
   "sectors": [],
   "notes": "Services additionnels TICPE",
   "notes_en": "Additional TICPE services",
   "benefits": [
    {
     "label": "10 à 15 heures par mois gagnées sur l'administration des temps de conduite",
     "label_en": "10 to 15 hours a month saved on driver-hours administration"
    },
    {
     "label": "Données de conduite fiables à 100 %",
     "label_en": "Fully reliable driving data"
    },
    {
     "label": "Conformité assurée lors des contrôles routiers",
     "label_en": "Compliance at roadside checks"
    },
    {
     "label": "Sécurité juridique renforcée",
     "label_en": "Stronger legal security"
    },
    {
     "label": "Moins de pertes de données et de litiges",
     "label_en": "Fewer data losses and disputes"
    }
   ],
   "eligibility": {
    "all": [
     {
      "question": "TICPE_001",
      "operator": "equals",
      "value": "Oui",
      "reason": "Aucun véhicule professionnel déclaré",
      "reason_en": "No professional vehicle declared"
     },
     {
      "question": "TICPE_003",
      "operator": "includes",
      "value": "Camions de plus de 7,5 tonnes",
      "reason": "Aucun camion de plus de 7,5 tonnes",
      "reason_en": "No truck over 7.5 tonnes"
     }
    ],
    "reason": null,
    "reason_en": null
   },
   "formula": {
    "type": "qualitative",
    "description": "bénéfices qualitatifs, sans montant",
    "description_en": "qualitative benefits, no amount"
   }
  },
  {
   "code": "logiciel_solid",
   "order": 10,
   "name": "Logiciel Solid",
   "name_en": "Solid software",
   "category": "Logiciels et Outils Numériques",
   "category_en": "Software and digital tools",
   "kind": "qualitative",
   "active": true,
   "sectors": [
    "Transport et Logistique"
   ],
   "notes": "Prix sur demande",
   "notes_en": "Price on request",
   "benefits": [
    {
     "label": "Outil reconnu par l'inspection du travail",
     "label_en": "A tool recognised by the labour inspectorate"
    },
    {
     "label": "Gain de temps sur la paie et les temps des chauffeurs",
     "label_en": "Time saved on payroll and driver hours"
    },
    {
     "label": "Conformité à la réglementation sociale du transport",
     "label_en": "Compliance with transport social regulations"
    },
    {
     "label": "Suivi en temps réel de l'activité",
     "label_en": "Real-time activity follow-up"
    },
    {
     "label": "Sécurité juridique",
     "label_en": "Legal security"
    },
    {
     "label": "Documents obligatoires générés automatiquement",
     "label_en": "Mandatory documents generated automatically"
    }
   ],
   "eligibility": {
    "question": "GENERAL_001",
    "operator": "equals",
    "value": "Transport et Logistique",
    "reason": "Réservé au secteur Transport et Logistique",
    "reason_en": "Transport and logistics sector only"
   },
   "formula": {
    "type": "qualitative",
    "description": "bénéfices qualitatifs, sans montant",
    "description_en": "qualitative benefits, no amount"
   }
  },
  {
   "code": "cee",
   "order": 11,
   "name": "CEE",
   "name_en": "Energy savings certificates",
   "category": null,
   "category_en": null,
   "kind": "financial",
   "active": false,
   "sectors": [],
   "notes": "Certificats d'Économies d'Énergie — inactif dans FR-2025.1",
   "notes_en": "Energy savings certificates — inactive in FR-2025.1",
   "benefits": [],
   "eligibility": null,
   "formula": null
  },
  {
   "code": "tva",
   "order": 12,
   "name": "TVA",
   "name_en": "VAT refund",
   "category": null,
   "category_en": null,
   "kind": "financial",
   "active": false,
   "sectors": [],
   "notes": "Remboursement de TVA — inactif dans FR-2025.1",
   "notes_en": "VAT refund — inactive in FR-2025.1",
   "benefits": [],
   "eligibility": null,
   "formula": null
  },
  {
   "code": "cir",
   "order": 13,
   "name": "CIR",
   "name_en": "Research tax credit",
   "category": null,
   "category_en": null,
   "kind": "financial",
   "active": false,
   "sectors": [],
   "notes": "Crédit d'Impôt Recherche — inactif dans FR-2025.1",
   "notes_en": "Research tax credit — inactive in FR-2025.1",
   "benefits": [],
   "eligibility": null,
   "formula": null
  }
 ]
}$ruleset$::jsonb as d),
products as (
  insert into public.products (code, position, name, category, kind, active, sectors, notes, benefits, details)
  select p ->> 'code', (p ->> 'order')::int, p ->> 'name', coalesce(p ->> 'category', ''), p ->> 'kind',
         (p ->> 'active')::boolean, array(select jsonb_array_elements_text(p -> 'sectors')),
         coalesce(p ->> 'notes', ''), p -> 'benefits',
         jsonb_build_object('name_en', p -> 'name_en', 'category_en', p -> 'category_en', 'notes_en', p -> 'notes_en')
  from doc, jsonb_array_elements(d -> 'products') p
  on conflict (code) do nothing
  returning code
),
rule_set as (
  insert into public.rule_sets (organization_id, version, effective_from, description)
  select null, d ->> 'version', (d ->> 'effective_from')::date, d ->> 'description' from doc
  returning id
),
questions as (
  insert into public.questions (rule_set_id, code, position, definition)
  select rule_set.id, q ->> 'code', (q ->> 'order')::int, q
  from doc, rule_set, jsonb_array_elements(d -> 'questions') q
  returning code
)
insert into public.product_rules (rule_set_id, product_code, active, rule, formula)
select rule_set.id, p ->> 'code', (p ->> 'active')::boolean, nullif(p -> 'eligibility', 'null'::jsonb),
       nullif(p -> 'formula', 'null'::jsonb)
from doc, rule_set, jsonb_array_elements(d -> 'products') p;
-- (Data-modifying CTEs run exactly once whether or not the final statement reads them.)
