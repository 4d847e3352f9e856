-- E-mail of notifications is a work queue like the others: a send that
-- fails is tried again later with its reason kept, and after too many
-- attempts it is given up (mailed = 2) instead of holding back the rest.
ALTER TABLE ex_notifications ADD COLUMN mail_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ex_notifications ADD COLUMN mail_next_at TEXT NOT NULL DEFAULT '';
ALTER TABLE ex_notifications ADD COLUMN mail_error TEXT NOT NULL DEFAULT '';
