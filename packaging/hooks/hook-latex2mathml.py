"""PyInstaller hook for latex2mathml: collect its data files.

Hearth renders math formulas with ziamath, which reads its math font (ziamath/fonts),
its text font (ziafont/fonts) and latex2mathml's symbol table (unimathsymbols.txt) from
the package folders at run time. pyinstaller-hooks-contrib (2026.9) has no hook for
them, so without this the frozen app shows formulas as source text.
"""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("latex2mathml")
