/* nft command text through libnftables, its output and errors captured (netlink.h). */
#include <stdlib.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "netlink.h"

static char *copy_or_null(const char *text)
{
    return text && *text ? strdup(text) : NULL;
}

/* A context per call: it holds nft's caches, which another process's changes make stale. */
int oci_nft_run(const char *commands, int json, char **output, char **error)
{
    *output = *error = NULL;
    struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!ctx)
        return -1;
    if (json)
        nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    int rc = nft_run_cmd_from_buffer(ctx, commands);
    *output = copy_or_null(nft_ctx_get_output_buffer(ctx));
    *error = copy_or_null(nft_ctx_get_error_buffer(ctx));
    nft_ctx_free(ctx);
    return rc;
}

void oci_nft_free(char *text)
{
    free(text);
}
