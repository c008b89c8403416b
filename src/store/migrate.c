/* SPDX-License-Identifier: Apache-2.0 */
/* quire: versioned schema migrations, applied at start. One text serves both backends; the
 * few dialect differences are written as {{TOKENS}} and substituted here. All times are
 * integer Unix seconds from the injected clock; booleans are 0/1 integers. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/db.h"

static const char *const migrations[] = {
    /* 1: organizations, users, groups, sessions, refresh tokens, audit log. */
    "CREATE TABLE orgs ("
    "  id TEXT PRIMARY KEY,"
    "  parent_id TEXT REFERENCES orgs(id),"
    "  path {{CTEXT}} NOT NULL UNIQUE," /* /root-id/.../own-id/ : descendants by range */
    "  depth INTEGER NOT NULL,"
    "  type TEXT NOT NULL CHECK (type IN ('provider','customer')),"
    "  name TEXT NOT NULL,"
    "  slug TEXT NOT NULL UNIQUE,"
    "  portal_url TEXT NOT NULL DEFAULT '',"
    "  admin_emails TEXT NOT NULL DEFAULT '[]',"
    "  lic_devices INTEGER NOT NULL DEFAULT 0,"
    "  lic_ocr_pages INTEGER NOT NULL DEFAULT 0,"
    "  lic_storage_mb INTEGER NOT NULL DEFAULT 0,"
    "  lic_features TEXT NOT NULL DEFAULT '[]',"
    "  ret_print_days INTEGER NOT NULL DEFAULT 7,"
    "  ret_scan_days INTEGER NOT NULL DEFAULT 30,"
    "  ret_audit_days INTEGER NOT NULL DEFAULT 365,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL);"
    "CREATE INDEX orgs_parent ON orgs(parent_id);"
    "CREATE TABLE users ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  username TEXT NOT NULL,"
    "  email TEXT NOT NULL DEFAULT '',"
    "  first_name TEXT NOT NULL DEFAULT '',"
    "  last_name TEXT NOT NULL DEFAULT '',"
    "  role TEXT NOT NULL,"
    "  active INTEGER NOT NULL DEFAULT 1,"
    "  pw_hash TEXT,"
    "  fail_prev BIGINT,"
    "  fail_last BIGINT,"
    "  locked_until BIGINT,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  UNIQUE (org_id, username));"
    "CREATE TABLE user_groups ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  UNIQUE (org_id, name));"
    "CREATE TABLE group_members ("
    "  group_id TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  org_id TEXT NOT NULL,"
    "  PRIMARY KEY (group_id, user_id));"
    "CREATE INDEX group_members_user ON group_members(user_id);"
    "CREATE TABLE sessions ("
    "  id TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  org_id TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL,"
    "  revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE refresh_tokens ("
    "  hash TEXT PRIMARY KEY,"
    "  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    "  used INTEGER NOT NULL DEFAULT 0,"
    "  created_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL);"
    "CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);"
    "CREATE TABLE audit ("
    "  id {{AUTOID}},"
    "  org_id TEXT NOT NULL,"
    "  time BIGINT NOT NULL,"
    "  actor_id TEXT,"
    "  action TEXT NOT NULL,"
    "  target_id TEXT,"
    "  detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX audit_org_time ON audit(org_id, id);",
    /* 2: token signing keys (ES256), sealed with a key derived from the master key. */
    "CREATE TABLE signing_keys ("
    "  kid TEXT PRIMARY KEY,"
    "  private_sealed TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  retired_at BIGINT);",
    /* 3: OAuth API clients (client credentials grant); secrets stored as SHA-256. */
    "CREATE TABLE oauth_clients ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  secret_hash TEXT NOT NULL,"
    "  created_by TEXT,"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX oauth_clients_org ON oauth_clients(org_id);",
    /* 4: authorization code flow: client redirect URIs, public clients, codes, browser
     * sessions. */
    "ALTER TABLE oauth_clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE oauth_clients ADD COLUMN public INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE auth_codes ("
    "  hash TEXT PRIMARY KEY,"
    "  client_id TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  org_id TEXT NOT NULL,"
    "  redirect_uri TEXT NOT NULL,"
    "  code_challenge TEXT NOT NULL,"
    "  scope TEXT NOT NULL,"
    "  nonce TEXT,"
    "  auth_time BIGINT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL,"
    "  used INTEGER NOT NULL DEFAULT 0,"
    "  session_id TEXT);"
    "CREATE TABLE web_sessions ("
    "  hash TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  org_id TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  last_seen BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL,"
    "  revoked INTEGER NOT NULL DEFAULT 0);",
    /* 5: emailed single-use links (invitation, password reset). */
    "CREATE TABLE account_tokens ("
    "  hash TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  org_id TEXT NOT NULL,"
    "  purpose TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL,"
    "  used INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX account_tokens_user ON account_tokens(user_id);",
    /* 6: email MFA (AUTH-6): the org switch and pending logins. */
    "ALTER TABLE orgs ADD COLUMN mfa_email INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE mfa_challenges ("
    "  hash TEXT PRIMARY KEY,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  org_id TEXT NOT NULL,"
    "  code_hash TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL,"
    "  used INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX mfa_challenges_user ON mfa_challenges(user_id);",
    /* 7: devices (DEV-1) and their client credentials (AUTH-11). */
    "CREATE TABLE devices ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  serial TEXT NOT NULL,"
    "  model TEXT NOT NULL DEFAULT '',"
    "  hostname TEXT NOT NULL DEFAULT '',"
    "  ip TEXT NOT NULL DEFAULT '',"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  client_id TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  UNIQUE (org_id, serial));"
    "ALTER TABLE oauth_clients ADD COLUMN device_id TEXT;",
    /* 8: the failure before fail_prev, so that a right password can take back the failure
     * its attempt recorded in advance without forgetting older ones. */
    "ALTER TABLE users ADD COLUMN fail_prev2 BIGINT;",
    /* 9: PINs and cards for the panel (AUTH-8, AUTH-9): HMAC lookup + sealed value. */
    "ALTER TABLE users ADD COLUMN pin_lookup TEXT;"
    "ALTER TABLE users ADD COLUMN pin_sealed TEXT;"
    "CREATE INDEX users_pin ON users(org_id, pin_lookup);"
    "ALTER TABLE orgs ADD COLUMN pin_mode TEXT NOT NULL DEFAULT 'user_pin';"
    "ALTER TABLE orgs ADD COLUMN pin_lengths TEXT NOT NULL DEFAULT '[4,5,6,8]';"
    "CREATE TABLE cards ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  lookup TEXT NOT NULL,"
    "  sealed TEXT NOT NULL,"
    "  last4 TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  UNIQUE (org_id, lookup));",
    /* 10: the job log (DEV-2). */
    "CREATE TABLE job_log ("
    "  id {{AUTOID}},"
    "  org_id TEXT NOT NULL,"
    "  time BIGINT NOT NULL,"
    "  user_id TEXT,"
    "  device_id TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  pages INTEGER NOT NULL,"
    "  copies INTEGER NOT NULL,"
    "  color INTEGER NOT NULL,"
    "  duplex INTEGER NOT NULL);"
    "CREATE INDEX job_log_org ON job_log(org_id, id);"
    "CREATE INDEX job_log_user ON job_log(user_id, id);",
    /* 11: per-org document keys, wrapped by a key derived from the master key (SEC-2). */
    "CREATE TABLE org_keys ("
    "  org_id TEXT PRIMARY KEY,"
    "  wrapped TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL);",
    /* 12: print jobs in the cloud spool (PRN-2). */
    "CREATE TABLE print_jobs ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  size BIGINT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  copies INTEGER NOT NULL,"
    "  color INTEGER NOT NULL,"
    "  duplex INTEGER NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL);"
    "CREATE INDEX print_jobs_owner ON print_jobs(org_id, user_id);",
    /* 13: print release (PRN-3, PRN-4): the job's number (IPP job-id), what the document
     * holds, where and how it was released; the org's print policy and time zone; monthly
     * page quotas and what each user has used of them per calendar month. */
    "ALTER TABLE print_jobs ADD COLUMN number INTEGER;"
    "CREATE UNIQUE INDEX print_jobs_number ON print_jobs(number);"
    "ALTER TABLE print_jobs ADD COLUMN pages INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE print_jobs ADD COLUMN doc_color INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE print_jobs ADD COLUMN device_id TEXT;"
    "ALTER TABLE print_jobs ADD COLUMN released_at BIGINT;"
    "ALTER TABLE print_jobs ADD COLUMN charged INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE print_jobs ADD COLUMN charged_month TEXT;"
    "ALTER TABLE print_jobs ADD COLUMN reason TEXT;"
    "ALTER TABLE orgs ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';"
    "ALTER TABLE orgs ADD COLUMN print_force_mono INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE orgs ADD COLUMN print_force_duplex INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE orgs ADD COLUMN print_max_pages INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE print_quotas ("
    "  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
    "  org_id TEXT NOT NULL,"
    "  monthly_pages INTEGER NOT NULL,"
    "  updated_at BIGINT NOT NULL);"
    "CREATE TABLE print_usage ("
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  month TEXT NOT NULL,"
    "  org_id TEXT NOT NULL,"
    "  pages INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, month));",
    /* 14: scan and capture (CAP-1..6, TEN-5, TEN-6): document classes, destinations (their
     * secret sealed), workflows, scans with their files (encrypted blobs), the durable work
     * queue (status + lease + next attempt), deliveries, and the org's monthly counters. */
    "CREATE TABLE doc_classes ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  attributes TEXT NOT NULL,"
    "  inherited_from TEXT,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  UNIQUE (org_id, name));"
    "CREATE TABLE destinations ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  settings TEXT NOT NULL,"
    "  secret_sealed TEXT,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  UNIQUE (org_id, name));"
    "CREATE TABLE workflows ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  definition TEXT NOT NULL,"
    "  class_id TEXT REFERENCES doc_classes(id),"
    "  destination_id TEXT REFERENCES destinations(id),"
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  UNIQUE (org_id, name));"
    "CREATE TABLE scans ("
    "  id TEXT PRIMARY KEY,"
    "  org_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  device_id TEXT,"
    "  workflow_id TEXT NOT NULL,"
    "  workflow TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  folder TEXT NOT NULL DEFAULT '',"
    "  index_values TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  files_in INTEGER NOT NULL DEFAULT 0,"
    "  pages_in INTEGER NOT NULL DEFAULT 0,"
    "  bytes_in BIGINT NOT NULL DEFAULT 0,"
    "  pages_out INTEGER NOT NULL DEFAULT 0,"
    "  ocr_pages INTEGER NOT NULL DEFAULT 0,"
    "  reserved_month TEXT,"
    "  reserved_pages INTEGER NOT NULL DEFAULT 0,"
    "  bytes_out BIGINT NOT NULL DEFAULT 0,"
    "  barcodes TEXT,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  claimed_at BIGINT,"
    "  error_code TEXT,"
    "  error TEXT,"
    "  delivery_status TEXT,"
    "  delivery_attempts INTEGER NOT NULL DEFAULT 0,"
    "  delivery_next_at BIGINT,"
    "  delivery_error TEXT,"
    "  location TEXT,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL,"
    "  expires_at BIGINT NOT NULL);"
    "CREATE INDEX scans_owner ON scans(org_id, user_id);"
    "CREATE INDEX scans_queue ON scans(status, claimed_at);"
    "CREATE INDEX scans_delivery ON scans(delivery_status, delivery_next_at);"
    "CREATE TABLE scan_files ("
    "  scan_id TEXT NOT NULL REFERENCES scans(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('in','out')),"
    "  seq INTEGER NOT NULL,"
    "  org_id TEXT NOT NULL,"
    "  blob_id TEXT NOT NULL,"
    "  size BIGINT NOT NULL,"
    "  format TEXT NOT NULL,"
    "  pages INTEGER NOT NULL,"
    "  PRIMARY KEY (scan_id, kind, seq));"
    "CREATE TABLE scan_usage ("
    "  org_id TEXT NOT NULL,"
    "  month TEXT NOT NULL,"
    "  ocr_pages INTEGER NOT NULL DEFAULT 0,"
    "  reserved_pages INTEGER NOT NULL DEFAULT 0,"
    "  documents INTEGER NOT NULL DEFAULT 0,"
    "  bytes BIGINT NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (org_id, month));",
    /* 15: AUTH-7: tokens issued through a browser sign-in belong to that browser session
     * (the SHA-256 of its cookie): they end when it ends (idle, 12 hours, revoked). */
    ("ALTER TABLE auth_codes ADD COLUMN web_session TEXT;"
     "ALTER TABLE sessions ADD COLUMN web_session TEXT;"),
    /* 16: refresh tokens are bound to the client they were issued to (RFC 6749 6, RFC 9700
     * 4.14): NULL for quire's own login API. Deleting a client ends its sessions. */
    ("ALTER TABLE sessions ADD COLUMN client_id TEXT;"
     "CREATE INDEX sessions_client ON sessions(client_id);"),
    /* 17: a one-time password (the bootstrap admin's) must be replaced before the account
     * can do anything else. */
    "ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;",
    /* 18: the audit log is listed newest first by the time of the event; concurrent
     * requests insert in a different order than they happened. */
    "CREATE INDEX audit_org_when ON audit(org_id, time, id);",
    /* 19: AUTH-5 per-source failure counters, shared by every server of the database:
     * source (address, IPv6 /64, or device), bucket = time / 60 s. */
    "CREATE TABLE login_throttle (source TEXT NOT NULL, bucket BIGINT NOT NULL, "
    "failures INTEGER NOT NULL, PRIMARY KEY (source, bucket));",
    /* 20: SEC-3 automatic backups: whose turn it is, for all servers of the database. */
    ("CREATE TABLE backup_turn (id INTEGER PRIMARY KEY, started_at BIGINT NOT NULL);"
     "INSERT INTO backup_turn (id, started_at) VALUES (1, 0);"),
    /* issue 13, auditkeys (REP-4): the audit hash chain. Each entry carries the hash of the
     * org's entry before it and its own (store/audit.c); entries written before this are
     * NULL and get chained by their org's next audit write. */
    ("ALTER TABLE audit ADD COLUMN prev_hash TEXT;"
     "ALTER TABLE audit ADD COLUMN hash TEXT;"),
    /* issue 13, auditkeys (REP-5): API keys are OAuth clients with scopes (space-separated,
     * '' for other clients) and the time they last got a token. */
    ("ALTER TABLE oauth_clients ADD COLUMN scopes TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE oauth_clients ADD COLUMN last_used_at BIGINT;"),
    /* Issue 13 (adminops), AUTH-8: a PIN an admin had generated for a user who has no mail
     * waits, sealed, to be shown to that user once (GET /api/v1/me/pin, "new": true). */
    "ALTER TABLE users ADD COLUMN pin_pending INTEGER NOT NULL DEFAULT 0;",
    /* Issue 13 (adminops), AUTH-3: usernames are unique within an org after Unicode NFC and
     * case folding. username_key is that form (written by quire at start for older rows,
     * tenancy/user.c, since SQL cannot fold); rows that already collided are flagged
     * username_key_dup = 1 (reported, not merged) and stay out of the unique index, so an
     * install with duplicates still migrates. New names are also checked in code. */
    ("ALTER TABLE users ADD COLUMN username_key TEXT;"
     "ALTER TABLE users ADD COLUMN username_key_dup INTEGER NOT NULL DEFAULT 0;"
     "CREATE UNIQUE INDEX users_username_key ON users(org_id, username_key) "
     "WHERE username_key_dup = 0;"),
    /* issue 13, exports: the job log and audit listings filtered by device, actor or target
     * and paged by keyset (REP-1, REP-4). */
    ("CREATE INDEX job_log_org_device ON job_log(org_id, device_id, id);"
     "CREATE INDEX audit_org_actor ON audit(org_id, actor_id, time, id);"
     "CREATE INDEX audit_org_target ON audit(org_id, target_id, time, id);"),
    /* 21 (issue 13, licenses: TEN-5): -1 is "unlimited": the root provider's limits, storage
     * everywhere (never enforced before) and the new user limit of existing orgs. print and
     * scan, never enforced before, become features that every existing org has. */
    ("ALTER TABLE orgs ADD COLUMN lic_users INTEGER NOT NULL DEFAULT -1;"
     "UPDATE orgs SET lic_storage_mb = -1;"
     "UPDATE orgs SET lic_devices = -1, lic_ocr_pages = -1, lic_features = '[\"print\", "
     "\"scan\", \"federation\", \"connectors\", \"api_keys\"]' WHERE parent_id IS NULL;"
     "UPDATE orgs SET lic_features = '[\"print\", \"scan\"]' WHERE lic_features NOT LIKE "
     "'%\"%';"
     "UPDATE orgs SET lic_features = '[\"print\", ' || substr(lic_features, 2) WHERE "
     "lic_features NOT LIKE '%\"print\"%';"
     "UPDATE orgs SET lic_features = '[\"scan\", ' || substr(lic_features, 2) WHERE "
     "lic_features NOT LIKE '%\"scan\"%';"
     /* TEN-2: the representative's contact, read by the parent. */
     "ALTER TABLE orgs ADD COLUMN rep_name TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE orgs ADD COLUMN rep_email TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE orgs ADD COLUMN rep_phone TEXT NOT NULL DEFAULT '';"
     /* TEN-7: regions, managed by the root provider; each org belongs to at most one. */
     "CREATE TABLE regions ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE,"
     "  eula_url TEXT NOT NULL DEFAULT '',"
     "  privacy_url TEXT NOT NULL DEFAULT '',"
     "  desktop_client_url TEXT NOT NULL DEFAULT '',"
     "  pin_lengths TEXT NOT NULL DEFAULT '[]',"
     "  desktop_idle_minutes INTEGER NOT NULL DEFAULT 0,"
     "  created_at BIGINT NOT NULL,"
     "  updated_at BIGINT NOT NULL);"
     "ALTER TABLE orgs ADD COLUMN region_id TEXT REFERENCES regions(id);"
     "CREATE INDEX orgs_region ON orgs(region_id);"),
    /* 21 (issue 13, the usage ledger): what the job log counts, written in the same
     * transaction as each job-log row. usage_daily per org, day (the org's calendar), user
     * ('' for a walk-up copy) and device answers the customer reports over any period;
     * usage_month per org and month answers the provider rollups (OCR pages, documents and
     * bytes stay in scan_usage, joined by org and month); usage_active counts distinct users
     * and devices of a month; usage_late the entries that arrived after their month closed
     * (booked to the open month, kept here with the month they belong to). */
    ("CREATE TABLE usage_daily ("
     "  org_id TEXT NOT NULL,"
     "  day TEXT NOT NULL,"
     "  user_id TEXT NOT NULL,"
     "  device_id TEXT NOT NULL,"
     "  print_jobs BIGINT NOT NULL DEFAULT 0,"
     "  print_pages BIGINT NOT NULL DEFAULT 0,"
     "  print_color BIGINT NOT NULL DEFAULT 0,"
     "  print_duplex BIGINT NOT NULL DEFAULT 0,"
     "  copy_jobs BIGINT NOT NULL DEFAULT 0,"
     "  copy_pages BIGINT NOT NULL DEFAULT 0,"
     "  scan_jobs BIGINT NOT NULL DEFAULT 0,"
     "  scan_pages BIGINT NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (org_id, day, user_id, device_id));"
     /* The reports read an org's days from this index alone (no scattered table rows). */
     "CREATE INDEX usage_daily_cover ON usage_daily(org_id, day, user_id, device_id, "
     "print_jobs, print_pages, print_color, print_duplex, copy_jobs, copy_pages, scan_jobs, "
     "scan_pages);"
     "CREATE TABLE usage_month ("
     "  org_id TEXT NOT NULL,"
     "  month TEXT NOT NULL,"
     "  print_jobs BIGINT NOT NULL DEFAULT 0,"
     "  print_pages BIGINT NOT NULL DEFAULT 0,"
     "  print_color BIGINT NOT NULL DEFAULT 0,"
     "  print_duplex BIGINT NOT NULL DEFAULT 0,"
     "  copy_jobs BIGINT NOT NULL DEFAULT 0,"
     "  copy_pages BIGINT NOT NULL DEFAULT 0,"
     "  scan_jobs BIGINT NOT NULL DEFAULT 0,"
     "  scan_pages BIGINT NOT NULL DEFAULT 0,"
     "  active_users BIGINT NOT NULL DEFAULT 0,"
     "  active_devices BIGINT NOT NULL DEFAULT 0,"
     "  late_entries BIGINT NOT NULL DEFAULT 0,"
     "  late_pages BIGINT NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (org_id, month));"
     "CREATE INDEX usage_month_month ON usage_month(month, org_id);"
     "CREATE TABLE usage_active ("
     "  org_id TEXT NOT NULL,"
     "  month TEXT NOT NULL,"
     "  kind TEXT NOT NULL,"
     "  ref TEXT NOT NULL,"
     "  PRIMARY KEY (org_id, month, kind, ref));"
     "CREATE TABLE usage_late ("
     "  org_id TEXT NOT NULL,"
     "  month TEXT NOT NULL,"
     "  event_month TEXT NOT NULL,"
     "  entries BIGINT NOT NULL DEFAULT 0,"
     "  pages BIGINT NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (org_id, month, event_month));"
     /* The log written before the ledger existed, booked by its UTC day and month (the
      * org's time zone is not applied to that history). */
     "INSERT INTO usage_daily (org_id, day, user_id, device_id, print_jobs, print_pages, "
     "print_color, print_duplex, copy_jobs, copy_pages, scan_jobs, scan_pages) "
     "SELECT org_id, {{UTCDAY}}, COALESCE(user_id, ''), device_id, "
     "SUM(CASE WHEN type = 'print' THEN 1 ELSE 0 END), "
     "SUM(CASE WHEN type = 'print' THEN CAST(pages AS BIGINT) * copies ELSE 0 END), "
     "SUM(CASE WHEN type = 'print' AND color = 1 THEN CAST(pages AS BIGINT) * copies ELSE 0 END), "
     "SUM(CASE WHEN type = 'print' AND duplex = 1 THEN CAST(pages AS BIGINT) * copies ELSE 0 END), "
     "SUM(CASE WHEN type = 'copy' THEN 1 ELSE 0 END), "
     "SUM(CASE WHEN type = 'copy' THEN CAST(pages AS BIGINT) * copies ELSE 0 END), "
     "SUM(CASE WHEN type = 'scan' THEN 1 ELSE 0 END), "
     "SUM(CASE WHEN type = 'scan' THEN CAST(pages AS BIGINT) * copies ELSE 0 END) "
     "FROM job_log GROUP BY org_id, {{UTCDAY}}, COALESCE(user_id, ''), device_id;"
     "INSERT INTO usage_active (org_id, month, kind, ref) "
     "SELECT DISTINCT org_id, substr(day, 1, 7), 'user', user_id FROM usage_daily "
     "WHERE user_id <> '';"
     "INSERT INTO usage_active (org_id, month, kind, ref) "
     "SELECT DISTINCT org_id, substr(day, 1, 7), 'device', device_id FROM usage_daily;"
     "INSERT INTO usage_month (org_id, month, print_jobs, print_pages, print_color, "
     "print_duplex, copy_jobs, copy_pages, scan_jobs, scan_pages, active_users, active_devices) "
     "SELECT d.org_id, d.month, d.pj, d.pp, d.pc, d.pd, d.cj, d.cp, d.sj, d.sp, "
     "(SELECT COUNT(*) FROM usage_active a WHERE a.org_id = d.org_id AND a.month = d.month "
     "AND a.kind = 'user'), "
     "(SELECT COUNT(*) FROM usage_active a WHERE a.org_id = d.org_id AND a.month = d.month "
     "AND a.kind = 'device') "
     "FROM (SELECT org_id, substr(day, 1, 7) AS month, SUM(print_jobs) AS pj, "
     "SUM(print_pages) AS pp, SUM(print_color) AS pc, SUM(print_duplex) AS pd, "
     "SUM(copy_jobs) AS cj, SUM(copy_pages) AS cp, SUM(scan_jobs) AS sj, "
     "SUM(scan_pages) AS sp FROM usage_daily GROUP BY org_id, substr(day, 1, 7)) d;"),
    /* issue 14, the user list's search (username, names and email, as one text) by a
     * trigram index: SQLite's FTS5 trigram table kept by triggers, PostgreSQL's pg_trgm. */
    "{{USER_SEARCH}}",
    /* Issue 15, part C (safe, fast Basic auth): users.auth_gen grows whenever what a
     * remembered Basic credential proved is taken back (password change, lock, deactivation,
     * role change), so every server's cache drops it at its next use; login_wrong holds,
     * per user, an HMAC of each wrong password recently tried from one source (AUTH-5:
     * the same wrong password repeated from the same source counts once). */
    ("ALTER TABLE users ADD COLUMN auth_gen BIGINT NOT NULL DEFAULT 0;"
     "CREATE TABLE login_wrong ("
     "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
     "  tag TEXT NOT NULL,"
     "  at BIGINT NOT NULL,"
     "  PRIMARY KEY (user_id, tag));"
     "CREATE INDEX login_wrong_at ON login_wrong(at);"),
    /* issue 15, part A (IPP operations): the pages a job prints (IPP page-ranges, "1-3,7-7";
     * NULL: all). Jobs created by IPP Create-Job wait for their document as 'incoming'; canceled
     * and aborted jobs keep their row (status 'canceled' / 'aborted') until retention. */
    "ALTER TABLE print_jobs ADD COLUMN page_ranges TEXT;",
};

/* issue 14: the user search's trigram index (src/tenancy/user.c reads it). The FTS table
 * carries the user's id, not SQLite's rowid, which VACUUM may renumber. */
#define USER_SEARCH_NEW                                                                            \
    "new.username || ' ' || new.first_name || ' ' || new.last_name || ' ' || new.email"
#define USER_SEARCH_OLD                                                                            \
    "old.username || ' ' || old.first_name || ' ' || old.last_name || ' ' || old.email"
#define USER_SEARCH_SQLITE                                                                         \
    "CREATE VIRTUAL TABLE user_search USING fts5(text, user_id UNINDEXED, tokenize = 'trigram');"  \
    "INSERT INTO user_search (text, user_id) SELECT " QR_USER_SEARCH_TEXT ", id FROM users;"       \
    "CREATE TRIGGER user_search_insert AFTER INSERT ON users BEGIN INSERT INTO user_search "       \
    "(text, user_id) VALUES (" USER_SEARCH_NEW ", new.id); END;"                                   \
    "CREATE TRIGGER user_search_update AFTER UPDATE OF username, first_name, last_name, email "    \
    "ON users WHEN " USER_SEARCH_OLD " IS NOT " USER_SEARCH_NEW " BEGIN UPDATE user_search "       \
    "SET text = " USER_SEARCH_NEW " WHERE user_id = old.id; END;"                                  \
    "CREATE TRIGGER user_search_delete AFTER DELETE ON users BEGIN "                               \
    "DELETE FROM user_search WHERE user_id = old.id; END;"
#define USER_SEARCH_PG                                                                             \
    "CREATE EXTENSION IF NOT EXISTS pg_trgm;"                                                      \
    "CREATE INDEX users_search ON users USING gin ((LOWER(" QR_USER_SEARCH_TEXT                    \
    ")) gin_trgm_ops);"

/* The dialect tokens: each with its SQLite and its PostgreSQL text. */
static const char *const tokens[][3] = {
    {"{{AUTOID}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"},
    {"{{CTEXT}}", "TEXT", "TEXT COLLATE \"C\""},
    /* issue 13: a job-log row's UTC day, YYYY-MM-DD (the ledger's backfill). */
    {"{{UTCDAY}}", "strftime('%Y-%m-%d', time, 'unixepoch')",
     "to_char(to_timestamp(time) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"},
    {"{{USER_SEARCH}}", USER_SEARCH_SQLITE, USER_SEARCH_PG},
};

/* Substitutes the dialect tokens. Returns a new string. */
static char *dialect(const char *sql, qr_db_kind_t kind) {
    /* Room for the text with every token replaced by the longest replacement. */
    size_t longest = 0, cap = strlen(sql) + 64;
    for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
        for (int k = 1; k <= 2; k++)
            if (strlen(tokens[i][k]) > longest)
                longest = strlen(tokens[i][k]);
    for (const char *t = strstr(sql, "{{"); t; t = strstr(t + 2, "{{"))
        cap += longest;
    qr_buf_t b;
    qr_buf_init(&b, cap);
    const char *p = sql;
    while (*p) {
        int hit = 0;
        for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
            size_t n = strlen(tokens[i][0]);
            if (strncmp(p, tokens[i][0], n) == 0) {
                qr_buf_puts(&b, tokens[i][kind == QR_DB_SQLITE ? 1 : 2]);
                p += n;
                hit = 1;
                break;
            }
        }
        if (!hit)
            qr_buf_append(&b, p++, 1);
    }
    return qr_buf_take(&b);
}

qr_status_t qr_db_migrate(qr_db_t *db, qr_err_t *err) {
    qr_dbc_t *c = qr_db_acquire(db);
    qr_status_t st = qr_dbc_script(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                      "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
    if (st)
        goto out;
    for (size_t v = 1; v <= sizeof(migrations) / sizeof(migrations[0]); v++) {
        if ((st = qr_dbc_begin(c)))
            goto out;
        if (qr_dbc_kind(c) == QR_DB_PG &&
            (st = qr_dbc_script(c, "SELECT pg_advisory_xact_lock(7331001)")))
            goto out;
        qr_dbres_t *r = NULL;
        st = qr_db_q(c, &r, NULL, "SELECT version FROM schema_migrations WHERE version = ?",
                     QR_INT(v));
        int done = qr_dbres_rows(r) > 0;
        qr_dbres_free(r);
        if (st)
            goto out;
        if (done) {
            qr_dbc_rollback(c);
            continue;
        }
        char *sql = dialect(migrations[v - 1], qr_dbc_kind(c));
        st = qr_dbc_script(c, sql);
        free(sql);
        if (!st)
            st = qr_db_q(c, NULL, NULL,
                         "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                         QR_INT(v), QR_INT(0));
        if (!st)
            st = qr_dbc_commit(c);
        if (st)
            goto out;
        qr_log_info("db_migrated", "applied schema migration %zu", v);
    }
out:
    if (st)
        qr_err_set(err, st, NULL, "database migration failed (see the log)");
    qr_db_release(c);
    return st;
}
