"""Dossier documents through Storage: types and checklists, uploads with versions, reviews, requests,
logged downloads (WORKFLOW.md, Documents). The rules live in migrations 0060–0064; this package
signs the storage URLs, inspects uploaded objects and calls those functions as the caller."""
