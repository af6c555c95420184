-- Whether this connection's instance is sealed (db::open_sealed): no external access, and its
-- configuration locked so that no statement can allow it again.
SELECT NOT current_setting('enable_external_access')
   AND current_setting('lock_configuration')
