-- Jira issues are identified by their numeric id: a move to another project changes the
-- key (PAY-12 -> WEB-40) but not the id, so the connector upserts work items by
-- (integration, external id) and needs a unique index to do it with ON CONFLICT.
CREATE UNIQUE INDEX work_items_integration_external ON work_items (client_id, integration_id, external_id);
