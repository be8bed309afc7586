# Ids fit a bigint; longer numbers are not ids, so they fall through to a plain 404
# instead of reaching PostgreSQL as an out-of-range integer.
ID_LOOKUP = r"[0-9]{1,18}"
