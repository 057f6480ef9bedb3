/* SPDX-License-Identifier: MIT */
/* campaign_clients.h - the campaign's client threads, readiness probe and final reads. */
#ifndef CAMPAIGN_CLIENTS_H
#define CAMPAIGN_CLIENTS_H

struct campaign;
struct errbuf;

/* campaign_wait_ready() - wait until every node answers (the system's probe). */
int campaign_wait_ready(struct campaign *cp, struct errbuf *eb);

/* campaign_final_reads() - the system's final reads on every node, marked final. */
int campaign_final_reads(struct campaign *cp, struct errbuf *eb);

/* campaign_snapshot() - the system's final reads on every node now, while the run goes on:
 * not marked final, all under one new process (a snapshot the checker takes as one). */
int campaign_snapshot(struct campaign *cp, struct errbuf *eb);

/* campaign_clients_start() - start the client threads; campaign_clients_join() - join them
 * (they stop at the time limit). */
int campaign_clients_start(struct campaign *cp, struct errbuf *eb);
int campaign_clients_join(struct campaign *cp, struct errbuf *eb);

#endif /* CAMPAIGN_CLIENTS_H */
