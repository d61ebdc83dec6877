DROP TABLE job_schedules, changelogs, work_items, wits_mappings, status_mappings, wits, statuses, workflows, projects;
