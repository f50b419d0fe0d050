-- API keys get a scope (admin, publish or read), the first characters of
-- the key for telling keys apart in a list, and who created them. Keys made
-- before scopes existed could do everything: they stay admin.
ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE api_keys ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
