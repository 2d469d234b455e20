package io.rptun.core.rpmsg;

import io.rptun.core.rpmsg.RpmsgDevice.State;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import org.jspecify.annotations.Nullable;

/**
 * Where a device is in its life, kept out of {@link RpmsgDevice}: its {@link State}, the {@link RpmsgLink} it
 * has once READY, and why it stopped; and the checks every other piece makes on them (is it alive, the link
 * while READY, the exception that says why not). It only records: {@link RpmsgStartup} makes a device READY,
 * and the device's {@code fail} stops it (BROKEN, PEER_LOST, CLOSED: final) and tells everybody.
 *
 * <p>Threads: read from any thread without a lock, each field once per check (the TX fast paths call
 * {@link #readyLink()} once per message). Written under the device's lock, but for the host's start-up, which
 * runs before the device is handed out.
 */
final class DeviceState {
    private final String name;
    private volatile State state = State.STARTING;
    private volatile @Nullable RpmsgException failure;
    private volatile @Nullable RpmsgLink link;

    DeviceState(String name) {
        this.name = name;
    }

    State state() {
        return state;
    }

    /** Why the device stopped, or null. */
    @Nullable RpmsgException failure() {
        return failure;
    }

    /** The link once attached (READY, or stopped after that), else null. */
    @Nullable RpmsgLink link() {
        return link;
    }

    /** Start-up: the rings are attached (before READY; the host before its DRIVER_OK). */
    void attach(RpmsgLink l) {
        link = l;
    }

    /** Start-up: both sides are up. */
    void ready() {
        state = State.READY;
    }

    /**
     * Under the device's lock: moves to a final state for {@code why}.
     *
     * @return false if the device had already stopped (nothing changed)
     */
    boolean stop(State newState, RpmsgException why) {
        State s = state;
        if (s == State.BROKEN || s == State.PEER_LOST || s == State.CLOSED) {
            return false;
        }
        failure = why;
        state = newState;
        return true;
    }

    /** Throws if the device can never be used again. */
    void checkAlive() {
        State s = state;
        if (s == State.BROKEN || s == State.PEER_LOST || s == State.CLOSED) {
            throw unusable();
        }
    }

    /** The link while READY; else throws why not. */
    RpmsgLink readyLink() {
        RpmsgLink l = link;
        if (state != State.READY || l == null) {
            throw unusable();
        }
        return l;
    }

    /** The link while READY, else null. */
    @Nullable RpmsgLink readyLinkOrNull() {
        RpmsgLink l = link;
        return l != null && state == State.READY ? l : null;
    }

    /** A fresh exception (this thread's stack) saying why the device cannot be used. */
    RpmsgException unusable() {
        RpmsgException f = failure;
        if (f == null) {
            return new RpmsgException(Reason.NOT_READY, name + " is not ready (a remote waits for the host's"
                    + " DRIVER_OK)");
        }
        // The cause is what the first failure had (the VringException of a broken ring), else the failure itself.
        Throwable cause = f.getCause();
        return new RpmsgException(f.reason(), f.getMessage(), cause != null ? cause : f);
    }
}
