"""The site office's paper, rendered from the data: the 出面表 (XLSX/CSV), the 作業員名簿
(XLSX), the 施工体系図 (SVG/PDF) and the entrance poster (PDF).  docs/documents.md describes
each layout.  Renderers take plain data (workers_db's sheets and trees) and return bytes; they
never query and never log personal data."""
