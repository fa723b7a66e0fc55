"""What end users read of the prudential engine, in French (the default) or English.

The engine's outputs stay language-neutral and stable: the ``rule`` text of each exposure result and
the validator's ``problem`` texts are English in the stored, hashed result and on the CLI (the
contract). What a person reads — the calculation report, the import error report, the preview's row
errors, the anomaly warnings — goes through :func:`rule_text` and :func:`problem`, which give the
French text for ``lang="fr"`` and the original for ``"en"``. Both are pure and total: a text they do
not know is returned unchanged rather than refused.
"""

from __future__ import annotations

import re

__all__ = ["LANGS", "lang_of", "pick", "problem", "rule_text"]

LANGS = ("fr", "en")


def lang_of(lang: str | None) -> str:
    """``"en"`` or ``"fr"`` (anything else, and nothing, is French)."""
    return "en" if (lang or "").lower().startswith("en") else "fr"


def pick(lang: str, fr: str, en: str) -> str:
    return en if lang_of(lang) == "en" else fr


# --- rule texts -------------------------------------------------------------------------------------
# Longest phrases first: each is replaced once, in this order, on the English text the engine built.

_RULE_PHRASES: tuple[tuple[str, str], ...] = (
    ("retail not meeting the regulatory criteria", "clientèle de détail ne remplissant pas les critères"),
    ("residential, pre-sales/equity condition met", "résidentiel, conditions de prévente/apport remplies"),
    ("SME supporting factor not applied to defaulted exposures",
     "facteur de soutien aux PME non appliqué aux expositions en défaut"),
    ("SME supporting factor Art. 501", "facteur de soutien aux PME Art. 501"),
    ("cash collateral Art. 223 comprehensive method", "sûreté en espèces, méthode générale Art. 223"),
    ("guarantee Art. 235 substitution", "garantie, substitution Art. 235"),
    ("project finance, high-quality operational", "financement de projet de grande qualité en exploitation"),
    ("project finance, pre-operational", "financement de projet en pré-exploitation"),
    ("project finance, operational", "financement de projet en exploitation"),
    ("commodities finance", "financement de matières premières"),
    ("object finance", "financement d'objets"),
    ("unrated specialised lending", "financement spécialisé non noté"),
    ("defaulted, eligible residential not IPRE", "en défaut, immobilier résidentiel éligible hors IPRE"),
    ("IPRE not meeting Art. 124(3)", "IPRE ne remplissant pas l'Art. 124(3)"),
    ("not meeting Art. 124(3)", "ne remplissant pas l'Art. 124(3)"),
    ("loan splitting: part up to", "division du prêt : part jusqu'à"),
    ("of the property value", "de la valeur du bien"),
    ("less prior liens", "moins les sûretés de rang supérieur"),
    ("remainder:", "reste :"),
    ("residential IPRE", "IPRE résidentiel"),
    ("commercial IPRE", "IPRE commercial"),
    ("multilateral development bank", "banque multilatérale de développement"),
    ("international organisation guarantor", "garant organisation internationale"),
    ("central government guarantor", "garant administration centrale"),
    ("institution guarantor", "garant établissement"),
    ("corporate guarantor", "garant entreprise"),
    ("mdb guarantor", "garant banque multilatérale de développement"),
    ("international organisation", "organisation internationale"),
    ("treated as central government", "traité comme une administration centrale"),
    ("treated as institution", "traité comme un établissement"),
    ("counterparty corporate", "contrepartie entreprise"),
    ("counterparty retail", "contrepartie clientèle de détail"),
    ("counterparty natural person", "contrepartie personne physique"),
    ("regulatory retail", "clientèle de détail réglementaire"),
    ("transactor", "transacteur"),
    ("domestic currency", "monnaie nationale"),
    ("currency mismatch", "asymétrie de devises"),
    ("on every part", "sur chaque partie"),
    ("subordinated debt", "dette subordonnée"),
    ("higher-risk equity", "actions à risque élevé"),
    ("phase-in", "introduction progressive"),
    ("issuer risk weight", "pondération de l'émetteur"),
    ("2 (short-term)", "2 (court terme)"),
    ("short-term", "court terme"),
    ("SCRA grade", "catégorie SCRA"),
    ("CET1 ratio", "ratio CET1"),
    ("leverage ratio", "ratio de levier"),
    ("sovereign CQS", "CQS du souverain"),
    ("of the amount", "du montant"),
    ("defaulted", "en défaut"),
    ("off-balance CCF", "hors bilan, FCEC"),
    ("Annex I bucket", "annexe I, catégorie"),
    ("full-risk item", "élément à risque plein"),
    ("medium-risk item", "élément à risque moyen"),
    ("other commitment", "autre engagement"),
    ("trade L/C", "crédit documentaire"),
    ("UCC", "engagement révocable sans condition"),
    ("Art. 134: cash", "Art. 134 : caisse"),
    ("Art. 134: gold", "Art. 134 : or"),
    ("Art. 134: items in collection", "Art. 134 : valeurs en cours de recouvrement"),
    ("Art. 134: other", "Art. 134 : autres actifs"),
    ("equity", "actions"),
    ("unrated", "non noté"),
    ("excess", "excédent"),
    (" against ", " contre "),
    (" and ", " et "),
    ("Table", "tableau"),
    ("cap ", "plafond "),
)  # fmt: skip
_RULE_PATTERN = re.compile("|".join(re.escape(english) for english, _ in _RULE_PHRASES))
_RULE_FR = dict(_RULE_PHRASES)
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")


def rule_text(text: str, lang: str = "fr") -> str:
    """The engine's rule text (English) for a reader: French by default, with decimal commas."""
    if lang_of(lang) == "en" or not text:
        return text
    translated = _RULE_PATTERN.sub(lambda m: _RULE_FR[m.group(0)], text)
    return _DECIMAL_POINT.sub(",", translated)


# --- validator problems and import messages -----------------------------------------------------------

_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(english), french)
    for english, french in (
        (r"^is required$", "obligatoire"),
        (r"^is required when off_balance > 0$", "obligatoire quand off_balance > 0"),
        (r"^is required when sme_supporting_factor is true$", "obligatoire quand sme_supporting_factor vaut vrai"),
        (r"^must be > 0$", "doit être strictement positif"),
        (r"^must be ≥ 0$", "doit être positif ou nul"),
        (r"^must be ≤ 1$", "doit être au plus 1 (un taux s'écrit en fraction : 0.12 pour 12 %)"),
        (r"^must be true or false$", "doit valoir vrai ou faux (oui/non, true/false)"),
        (r"^must be an integer (\d+)\.\.(\d+)$", r"doit être un entier de \1 à \2"),
        (r"^must be one of (.+)$", r"doit être l'une des valeurs \1"),
        (r"^must be a JSON object$", "doit être un objet JSON"),
        (r"^must be a decimal number .*$", "doit être un nombre décimal (par exemple 1234.56)"),
        (r"^must have at most 15 integer digits and 8 decimals$",
         "doit avoir au plus 15 chiffres avant la virgule et 8 après"),
        (r"^exactly one of (\S+) / (\S+) is required$", r"exactement un des champs \1 ou \2 doit être renseigné"),
        (r"^only with scra_grade$", "seulement avec scra_grade"),
        (r"^only when cqs is absent \(unrated\)$", "seulement sans cqs (contrepartie non notée)"),
        (r"^not together with (\S+)$", r"incompatible avec \1"),
        (r"^unknown field \(not listed for treat_as (\S+)\)$", r"champ inconnu (non prévu pour treat_as \1)"),
        (r"^unknown field(.*)$", r"champ inconnu\1"),
        (r"^only with counterparty corporate$", "seulement avec la contrepartie corporate"),
        (r"^must not exceed amount − scra$", "ne doit pas dépasser amount − scra"),
        (r"^must not exceed amount$", "ne doit pas dépasser amount"),
        (r"^must be an ISO 4217 code like EUR$", "doit être un code devise ISO 4217, comme EUR"),
        (r"^must be a non-empty string$", "doit être un texte non vide"),
        (r"^must be a string$", "doit être un texte"),
        (r"^must be an array$", "doit être une liste"),
        (r"^must be 0 unless defaulted$", "doit être 0 sauf pour une exposition en défaut"),
        (r"^only for exposures with off_balance 0 that are not defaulted$",
         "seulement pour une exposition sans hors-bilan et non en défaut"),
        (r"^only when sme_supporting_factor is true$", "seulement quand sme_supporting_factor vaut vrai"),
        (r"^not with ipre$", "incompatible avec ipre"),
        (r"^needs own_funds .*$", "nécessite own_funds (le numérateur du ratio est le Tier 1)"),
        (r"^duplicate id \(already on row (\d+)\)$", r"identifiant en double (déjà ligne \1)"),
        (r"^duplicate id (.+)$", r"identifiant en double \1"),
        (r"^must be a date YYYY-MM-DD$", "doit être une date AAAA-MM-JJ"),
        (r"^must be on or after (\S+) \(rule set (\S+)\)$", r"doit être le \1 ou après (jeu de règles \2)"),
        # whole-file refusals of an import
        (r"^the file is not a valid XLSX workbook$", "le fichier n'est pas un classeur XLSX valide"),
        (r"^the workbook part (\S+) would inflate from (\d+) to (\d+) bytes \((\d+)×; limits (\d+)× and (\d+) "
         r"bytes per part\): a zip bomb\?$",
         r"la partie \1 du classeur passerait de \2 à \3 octets à la décompression (\4× ; limites \5× et \6 octets "
         r"par partie) : bombe de décompression ?"),
        (r"^the workbook would inflate to (\d+) bytes \(limit (\d+)\): a zip bomb\?$",
         r"le classeur occuperait \1 octets une fois décompressé (limite \2) : bombe de décompression ?"),
        (r"^the workbook declares a DOCTYPE \(entities are not accepted\)$",
         "le classeur déclare un DOCTYPE (les entités XML ne sont pas acceptées)"),
        (r"^the workbook has no sheet$", "le classeur n'a aucune feuille"),
        (r"^the workbook's first sheet is missing$", "la première feuille du classeur est absente"),
        (r"^the workbook's sheet is not well-formed XML$", "la feuille du classeur n'est pas un XML bien formé"),
        (r"^the sheet has (\d+) rows; at most (\d+) are imported$",
         r"la feuille compte \1 lignes ; au plus \2 sont importées"),
        (r"^the (?:sheet|file) has more than (\d+) rows$", r"le fichier compte plus de \1 lignes (limite)"),
        (r"^the first row must hold the column headers$", "la première ligne doit contenir les en-têtes de colonnes"),
        (r"^merged header cells (.+): unmerge them and give each column its own header$",
         r"cellules d'en-tête fusionnées \1 : annulez la fusion et donnez à chaque colonne son propre en-tête"),
        (r"^the file is UTF-16 text, not UTF-8: save it as « CSV UTF-8 » or as XLSX$",
         "le fichier est un texte UTF-16, pas UTF-8 : enregistrez-le au format « CSV UTF-8 » ou XLSX"),
        (r"^the file is not UTF-8 text: byte (0x[0-9a-f]{2}) on line (\d+) cannot be read"
         r"(?: \(it looks like Windows-1252 / Latin-1\))?; save it as « CSV UTF-8 » or as XLSX$",
         r"le fichier n'est pas un texte UTF-8 : l'octet \1 de la ligne \2 est illisible (encodage Windows-1252 "
         r"ou Latin-1 ?) ; enregistrez-le au format « CSV UTF-8 » ou XLSX"),
        (r"^the file holds NUL characters: it is not a CSV text file$",
         "le fichier contient des caractères NUL : ce n'est pas un fichier texte CSV"),
        (r"^the CSV cannot be read: (.+)$", r"le CSV est illisible : \1"),
        (r"^at most (\d+) columns$", r"au plus \1 colonnes"),
        (r"^header cell (\d+) is empty \(merged header cells are not supported\)$",
         r"l'en-tête de la colonne \1 est vide (les cellules d'en-tête fusionnées ne sont pas acceptées)"),
        (r"^header cell (\d+) holds a formula$", r"l'en-tête de la colonne \1 contient une formule"),
        (r"^two columns have the same header$", "deux colonnes ont le même en-tête"),
        (r"^(.+) is not an exposure field$", r"\1 n'est pas un champ d'exposition"),
        (r"^columns (.+) all map to (.+)$", r"les colonnes \1 correspondent toutes à \2"),
        (r"^no column maps to (.+)$", r"aucune colonne ne correspond à \1"),
        (r"^a formula or text starting like one is not accepted$",
         "une formule, ou un texte commençant comme une formule, n'est pas accepté"),
    )
)  # fmt: skip


def problem(message: str, lang: str = "fr") -> str:
    """A validator or import row problem for a reader (French by default; unknown texts unchanged)."""
    if lang_of(lang) == "en":
        return message
    for pattern, french in _PROBLEMS:
        if pattern.match(message):
            return pattern.sub(french, message)
    return message
