#define _GNU_SOURCE
#include <sys/socket.h>
#include "CLinuxShims.h"

int clinux_accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags) {
    return accept4(sockfd, addr, addrlen, flags);
}
