#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H
// pkg-config --cflags libpq => -I/usr/include/postgresql
#include <libpq-fe.h>
#endif
