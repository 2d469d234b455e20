package io.rptun.test;

/** How a {@link TestLink}'s two sides share memory. */
public enum Transport {
    /** Both devices in this JVM over one memory segment, each served by its own thread; no lifecycle. */
    IN_PROCESS,
    /** A host {@code Rptun} over a {@code /dev/shm} file, the remote in this JVM: the simulator's own path. */
    SIM_FILE,
    /** A host {@code Rptun} over a {@code /dev/shm} file, the remote in a second JVM. */
    CHILD_JVM
}
