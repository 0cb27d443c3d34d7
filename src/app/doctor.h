/*
 * doctor.h - `onewindow doctor`: check a deployment and say what to fix (doctor.c).
 */
#ifndef ONEWINDOW_APP_DOCTOR_H
#define ONEWINDOW_APP_DOCTOR_H

#include <stdio.h>

struct config;

/* One line a check to `out`; returns the exit status: 0 nothing to fix, 1 otherwise. */
int app_doctor(const struct config *cfg, FILE *out);

#endif
