"""Spanish texts of the web pages: fills locale/es/LC_MESSAGES/messages.po from the template.

Run from this folder after ``pybabel extract`` (see docs/web.md); every msgid must be here,
the tests check that no catalog entry is left untranslated.
"""

# ruff: noqa: E501  -- a table of texts: one message and its translation per line reads best

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ES = {
    "Menu": "Menú",
    "Panel": "Panel",
    "Ledger upload": "Carga del Anexo 24",
    "Runs": "Descargos",
    "Balances": "Saldos",
    "Allocations": "Asignaciones",
    "Shortfalls": "Faltantes",
    "Companies": "Empresas",
    "Log out": "Cerrar sesión",
    "IMMEX compliance: Anexo 24 ledger and discharge": "Cumplimiento IMMEX: Anexo 24 y descargos",
    "Import lots this export line consumed": "Lotes de importación que consumió esta partida de exportación",
    "Export lines that consumed this lot": "Partidas de exportación que consumieron este lote",
    "late": "tardío",
    "Import pedimento": "Pedimento de importación",
    "Import line": "Partida imp.",
    "Part": "Parte",
    "Imported": "Importado",
    "Discharged": "Descargado",
    "Remaining": "Saldo",
    "Deadline": "Vencimiento",
    "Days left": "Días restantes",
    "Status": "Estado",
    "Export pedimento": "Pedimento de exportación",
    "Export line": "Partida exp.",
    "Product": "Producto",
    "Quantity": "Cantidad",
    "Late": "Tardío",
    "Missing": "Faltante",
    "Exported on": "Exportado el",
    "Imported on": "Importado el",
    "Origin": "Origen",
    "Unit value USD": "Valor unitario USD",
    "Destination": "Destino",
    "Run": "Descargo",
    "Method": "Método",
    "As of": "Al día",
    "Created": "Creado",
    "By": "Por",
    "Ledger fingerprint": "Huella del Anexo 24",
    "Export lines changed": "Partidas de exportación cambiadas",
    "Reversed": "Revertido",
    "Reversed by": "Revertido por",
    "Reason": "Motivo",
    "overdue": "vencido",
    "expiring": "por vencer",
    "open": "abierto",
    "discharged": "descargado",
    "Problem": "Problema",
    "Not found": "No encontrado",
    "Not allowed": "No permitido",
    "Busy": "Ocupado",
    "Back to the start": "Volver al inicio",
    "No company is granted to you yet; ask an administrator.": "Aún no tiene empresas asignadas; pídalo a un administrador.",
    "Discharge run": "Descargo",
    "queued": "en cola",
    "running": "en curso",
    "done": "terminado",
    "failed": "falló",
    "Run %(id)s finished.": "El descargo %(id)s terminó.",
    "Refresh the list": "Actualizar la lista",
    "The ledger was stored.": "El Anexo 24 se guardó.",
    "The files have problems; nothing was stored. Fix them and upload again.": "Los archivos tienen problemas; no se guardó nada. Corríjalos y vuelva a cargarlos.",
    "Send the CSV files of the ledger, or one Excel workbook. All or nothing: with any problem, "
    "nothing is stored.": "Envíe los archivos CSV del Anexo 24 o un libro de Excel. Todo o nada: si hay "
    "algún problema, no se guarda nada.",
    "or one workbook (.xlsx)": "o un libro (.xlsx)",
    "Upload": "Cargar",
    "Log in": "Iniciar sesión",
    "Anexo 24 ledger, discharge and deadlines for your IMMEX program.": "Anexo 24, descargos y plazos de su programa IMMEX.",
    "Wrong e-mail or password.": "Correo o contraseña incorrectos.",
    "Too many failed attempts; try again in a few minutes.": "Demasiados intentos fallidos; intente de nuevo en unos minutos.",
    "E-mail": "Correo",
    "Password": "Contraseña",
    "Show": "Mostrar",
    "import lines": "partidas de importación",
    "remaining": "de saldo",
    "units missing": "unidades faltantes",
    "Aging of open balances": "Antigüedad de saldos abiertos",
    "Open import lines by days since import": "Partidas abiertas por días desde la importación",
    "days": "días",
    "What expires": "Qué vence",
    "Open import lines whose Art. 108 term ends within": "Partidas abiertas cuyo plazo del Art. 108 termina dentro de",
    "See the expiring lines": "Ver las partidas por vencer",
    "See the overdue lines": "Ver las vencidas",
    "Last run": "Último descargo",
    "reversed": "revertido",
    "active": "activo",
    "No discharge has been run yet.": "Aún no se ha corrido ningún descargo.",
    "Ledger": "Anexo 24",
    "export lines": "partidas de exportación",
    "File": "Archivo",
    "Row": "Renglón",
    "Column": "Columna",
    "Starting…": "Iniciando…",
    "Run the discharge": "Correr el descargo",
    "Reverse": "Revertir",
    "any": "cualquiera",
    "Pedimento": "Pedimento",
    "Filter": "Filtrar",
    "page %(n)d of %(m)d": "página %(n)d de %(m)d",
    "Nothing here with these filters.": "Nada con estos filtros.",
    "Pages": "Páginas",
    "Previous": "Anterior",
    "Next": "Siguiente",
    "Export %(p)s line %(l)d": "Exportación %(p)s partida %(l)d",
    "Import %(p)s line %(l)d": "Importación %(p)s partida %(l)d",
    "The import lots each part of this export line consumed. Click a lot to see every export that "
    "consumed it.": "Los lotes de importación que consumió cada parte de esta partida. Un clic en un lote "
    "muestra todas las exportaciones que lo consumieron.",
    "The export lines that consumed this import lot. Click an export to see the lots it consumed.": "Las partidas de exportación que consumieron este lote. Un clic en una exportación muestra los lotes "
    "que consumió.",
    "Not discharged yet: run the discharge first.": "Aún sin descargo: corra el descargo primero.",
    "Audit log": "Bitácora",
    "When": "Cuándo",
    "Who": "Quién",
    "Action": "Acción",
    "What": "Qué",
    "Nothing recorded yet.": "Aún no hay registros.",
    "Reverse run %(id)s: reason": "Revertir el descargo %(id)s: motivo",
    "Users and grants": "Usuarios y permisos",
    "Role": "Rol",
    "Users": "Usuarios",
    "Password (12 characters or more)": "Contraseña (12 caracteres o más)",
    "Companies (RFC, separated by spaces)": "Empresas (RFC, separados por espacios)",
    "USMCA origin": "Origen T-MEC",
    "Originating": "Originaria",
    "criterion %(c)s": "criterio %(c)s",
    "Not originating": "No originaria",
    "Undetermined": "Indeterminada",
    "Rule": "Regla",
    "Tariff shift": "Cambio de clasificación",
    "met": "se cumple",
    "not met": "no se cumple",
    "not required": "no se exige",
    "Regional value content": "Valor de contenido regional",
    "De minimis": "De minimis",
    "applied": "aplicado",
    "not applied": "no aplicado",
    "Reasons": "Razones",
    "The case (JSON of the origin contract, as for immex origin qualify)": "El caso (JSON del contrato de origen, como para immex origin qualify)",
    "Qualify": "Calificar",
    "Data Stage and compulsa": "Data Stage y compulsa",
    "Import a Data Stage": "Importar un Data Stage",
    "The ZIP the SAT sends (Anexo 22 records). The pedimentos it holds replace those stored before.": "El ZIP que entrega el SAT (registros del Anexo 22). Sus pedimentos reemplazan a los guardados antes.",
    "Data Stage ZIP": "ZIP del Data Stage",
    "Import": "Importar",
    "Compulsa": "Compulsa",
    "Compare the ledger with a Data Stage: every difference by kind, with what to do about it. Without a file, the last one imported is used.": "Compare el Anexo 24 con un Data Stage: cada diferencia por tipo, con qué hacer. Sin archivo, se usa el último importado.",
    "Data Stage ZIP (optional)": "ZIP del Data Stage (opcional)",
    "Compare": "Comparar",
    "Data Stage import": "Importación del Data Stage",
    "Imported.": "Importado.",
    "Line": "Partida",
    "Field": "Campo",
    "Kind": "Tipo",
    "What differs": "Qué difiere",
    "What to do": "Qué hacer",
    "Data Stage": "Data Stage",
    "Add user": "Agregar usuario",
    "Grant a company": "Dar acceso a una empresa",
    "disabled": "deshabilitado",
    "Revoke": "Quitar",
    "Company": "Empresa",
    "its role": "su rol",
    "Grant": "Dar acceso",
    "Disable": "Deshabilitar",
}
ES_PLURAL = {
    "%(num)d problem; nothing was stored.": (
        "%(num)d problema; no se guardó nada.",
        "%(num)d problemas; no se guardó nada.",
    ),
    "%(num)d row": ("%(num)d renglón", "%(num)d renglones"),
    "%(num)d difference.": ("%(num)d diferencia.", "%(num)d diferencias."),
}


def fill(pot: Path, out: Path, lang: str) -> list[str]:
    """Write ``out`` (``es``: Spanish; ``en``: each msgid as its own text); the msgids missing."""
    with pot.open("rb") as f:
        catalog = read_po(f, locale=lang)
    catalog.fuzzy = False
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
        if lang == "en":
            message.string = message.id
        elif isinstance(message.id, tuple):
            if key not in ES_PLURAL:
                missing.append(key)
            forms = ES_PLURAL.get(key, ("", ""))
            # CLDR gives Spanish a third form (large numbers): it reads as the plural.
            message.string = (*forms, *[forms[-1]] * (catalog.num_plurals - len(forms)))
        else:
            if key not in ES:
                missing.append(key)
            message.string = ES.get(key, "")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False)
    return missing


if __name__ == "__main__":
    pot = Path(sys.argv[1])
    for lang in ("es", "en"):
        gaps = fill(pot, Path("locale") / lang / "LC_MESSAGES" / "messages.po", lang)
        if gaps:
            sys.exit(f"{lang}: no translation for {gaps}")
