package io.rptun.core.rpmsg;

/**
 * Called for a remote NS create that matched no local endpoint waiting for that name (OpenAMP's
 * {@code ns_bind_cb}): it may create an endpoint with {@code name} and destination {@code remoteAddress}.
 * Runs on the device's serving thread.
 */
@FunctionalInterface
public interface BindHook {
    void bind(RpmsgDevice device, String name, int remoteAddress);
}
