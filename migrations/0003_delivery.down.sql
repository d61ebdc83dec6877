DROP TABLE incident_links, incidents, deployment_changes, deployment_statuses, deployments,
    prs_comments, prs_commits, prs_reviews, prs, commit_parents, commits, repositories;
