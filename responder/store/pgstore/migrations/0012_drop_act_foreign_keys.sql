-- The foreign keys of the court-act tables checked, per imported row, what the store
-- already guarantees in the same transaction: an import of acts looks up every act's
-- premises and refuses the whole file when one is missing, an import of agreements refuses
-- acts that are not stored, debtors and balance history are written only with their act,
-- and no code deletes or re-keys premises or acts. Their per-row triggers were two thirds
-- of a first import's server time. The cost: rows written by hand are not checked.
ALTER TABLE court_acts DROP CONSTRAINT court_acts_premises_org_premise_id_fkey;
ALTER TABLE court_act_debtors DROP CONSTRAINT court_act_debtors_org_guid_act_id_fkey;
ALTER TABLE balance_history DROP CONSTRAINT balance_history_org_guid_act_id_fkey;
ALTER TABLE agreements DROP CONSTRAINT agreements_org_guid_act_id_fkey;
