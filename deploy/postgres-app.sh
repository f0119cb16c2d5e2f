#!/bin/sh
# The application database the proxy stands in front of, owned by its own user.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE USER app PASSWORD '$(cat /run/secrets/app_password)';
CREATE DATABASE app OWNER app;
SQL
