/*
 * bare_mhd.c - the ceiling for `make bench`: a libmicrohttpd server with the same thread
 * model as onewindow (internal thread pool, epoll, turbo) that answers every request
 * with the same 2 KiB from memory and does nothing else. onewindow's static asset rate is
 * reported as a fraction of this one, measured in the same run on the same machine.
 *   bare_mhd PORT THREADS
 */
#include <microhttpd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct MHD_Response *resp;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version, (void)upload_data, (void)upload_size;
    if (*con_cls == NULL) { /* queue on the second call: keep-alive (FACTS.md) */
        *con_cls = c;
        return MHD_YES;
    }
    return MHD_queue_response(c, MHD_HTTP_OK, resp);
}

int main(int argc, char **argv)
{
    static char body[2048];
    if (argc != 3)
        return 2;
    memset(body, 'x', sizeof(body));
    resp = MHD_create_response_from_buffer(sizeof(body), body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "text/plain");
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO,
                         (uint16_t)atoi(argv[1]), NULL, NULL, on_request, NULL,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)atoi(argv[2]), MHD_OPTION_END);
    if (d == NULL)
        return 1;
    pause();
    MHD_stop_daemon(d);
    return 0;
}
