package io.rptun.core.socket;

/**
 * What a SYNC says about the process at the other end ({@code SO_PEERCRED} in NuttX). Untrusted: the peer
 * writes whatever it likes; the values are u32s held in ints.
 */
public record SocketCredentials(int pid, int uid, int gid) {
    /** This JVM's pid (cut to 32 bits), uid 0 and gid 0: what our SYNC says unless told otherwise. */
    public static SocketCredentials ofThisProcess() {
        return new SocketCredentials((int) ProcessHandle.current().pid(), 0, 0);
    }
}
