/* SPDX-License-Identifier: MIT */
/* campaign_nemesis.h - the campaign's fault schedule: nemesis set-up, run, final heal. */
#ifndef CAMPAIGN_NEMESIS_H
#define CAMPAIGN_NEMESIS_H

struct campaign;
struct errbuf;

/* campaign_nemesis_setup() - build the schedule and one nemesis per kind it uses. */
int campaign_nemesis_setup(struct campaign *cp, struct errbuf *eb);

/* campaign_schedule_run() - run the schedule to the end of the load (main thread). */
int campaign_schedule_run(struct campaign *cp, struct errbuf *eb);

/* campaign_final_heal() - heal every fault the schedule could start, recorded. */
int campaign_final_heal(struct campaign *cp, struct errbuf *eb);

/* campaign_record_start_faults() - the faults the nodes start with (the system's
 * start_faults op), as a nemesis invoke/info pair at the start of the history; nothing when
 * there are none. */
int campaign_record_start_faults(struct campaign *cp, struct errbuf *eb);

/* campaign_nemesis_teardown() - tear down and free every nemesis and the schedule. */
void campaign_nemesis_teardown(struct campaign *cp);

#endif /* CAMPAIGN_NEMESIS_H */
