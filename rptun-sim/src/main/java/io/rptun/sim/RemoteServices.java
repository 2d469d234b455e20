package io.rptun.sim;

import io.rptun.core.rpmsg.RpmsgDevice;

/**
 * Endpoints a user puts on the simulated remote: called with the remote's device each time a session
 * comes up (after a reset, the old endpoints are gone). For a remote in a child JVM, name a class that
 * implements this and has a public no-argument constructor ({@code RemoteMain --service-class}).
 */
@FunctionalInterface
public interface RemoteServices {
    void register(RpmsgDevice device);
}
