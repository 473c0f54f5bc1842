"""Operations on the database that views and commands share (one transaction each)."""
