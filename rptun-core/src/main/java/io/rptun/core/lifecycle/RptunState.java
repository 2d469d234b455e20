package io.rptun.core.lifecycle;

/** Where an {@link Rptun} is in its lifecycle. */
public enum RptunState {
    /** Not started, or stopped. */
    OFFLINE,
    /** Laying out or attaching, booting the remote, waiting for both sides to be up. */
    STARTING,
    /** Both sides up: the rpmsg device is available. */
    RUNNING,
    /** Stopping. */
    STOPPING,
    /** Resetting: the old session is torn down and a new one starts. */
    RESETTING,
    /** The peer died or vanished: pending work failed; {@link Rptun#reset} or {@link Rptun#stop} goes on. */
    PEER_LOST,
    /** A panic was asked for (by this side or by the peer): everything failed, nothing restarts by itself. */
    PANICKED,
    /** Starting or serving failed (bad table, broken ring): see {@link Rptun#failure()}. */
    FAILED,
    /** Closed for good. */
    CLOSED,
}
