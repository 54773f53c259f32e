"""Operations: backups and restores, schema checks. No Flask here; the CLI edge calls these."""
