#ifndef CLINUXSHIMS_H
#define CLINUXSHIMS_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>

/// accept4(2) needs _GNU_SOURCE, whose transparent-union sockaddr arguments Swift cannot call directly.
int clinux_accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
#endif
