-- court_acts_premises_fk (premises_org, premise_id) only served the foreign key's parent
-- side: finding the acts of a premises that is deleted or re-keyed, which the store never
-- does. court_acts_premises (premise_id) answers that look-up as well (a premise_id names
-- one premises, or a few across organizations), and the decision queries use it. Every
-- imported act paid for the second index; one fewer B-tree to write per act.
DROP INDEX court_acts_premises_fk;
