-- Reserved: version 8 is taken by the corrections branch (0008_corrections.sql), which
-- lands separately. The loader needs versions without gaps, so this file holds the slot on
-- branches that do not have it yet; drop it when 0008_corrections.sql is merged.
SELECT 1;
