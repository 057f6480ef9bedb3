/* SPDX-License-Identifier: MIT */
/* append_file.h - an append-only log of lines in a node's data dir, reopened whole after a
 * kill: a torn last line (a write the node was killed in) is cut. */
#ifndef APPEND_FILE_H
#define APPEND_FILE_H

struct errbuf;

/**
 * append_file_open() - open DIR/@name for appending (creating DIR, 0700) after cutting a torn
 * last line (one without '\n'). Each line the caller appends with one write(2) is then whole
 * or absent after a kill. Blocks.
 * Return: the fd; -errno with @eb naming the file.
 */
int append_file_open(const char *dir, const char *name, struct errbuf *eb);

#endif /* APPEND_FILE_H */
