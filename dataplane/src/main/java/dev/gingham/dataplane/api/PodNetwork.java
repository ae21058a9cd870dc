package dev.gingham.dataplane.api;

/**
 * The one part of the admin API that changes the node: the CNI plugin's calls
 * ({@code POST /v1/cni/add}, {@code /v1/cni/del}, {@code /v1/cni/check}). The API only carries
 * the bytes; the daemon's implementation ({@code cni.CniService}) decodes the request, does the
 * work on the control thread and answers with a status and a JSON body (the CNI error shape on
 * failure), so this package needs to know nothing about CNI.
 */
public interface PodNetwork {
    /** Operations, as the last path segment. */
    String ADD = "add";
    String DEL = "del";
    String CHECK = "check";

    /**
     * An answer.
     *
     * @param status the HTTP status
     * @param json   the body
     */
    record Reply(int status, byte[] json) {
    }

    /**
     * Runs one CNI operation; may block the calling API thread until the control thread has done it.
     *
     * @param operation {@link #ADD}, {@link #DEL} or {@link #CHECK}
     * @param request   the request body (JSON)
     */
    Reply call(String operation, byte[] request);
}
