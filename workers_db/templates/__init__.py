"""Files served to users: `import_template.csv`, the pre-registration CSV template
(UTF-8 with BOM so that Excel opens it in Japanese; docs/import.md explains the columns)."""
