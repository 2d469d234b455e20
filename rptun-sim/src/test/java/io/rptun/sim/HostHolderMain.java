package io.rptun.sim;

import java.nio.file.Path;

/** A child JVM for {@link FileSafetyTest}: lays out a host's file, says so, and waits to be killed. */
public final class HostHolderMain {
    private HostHolderMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Path file = Path.of(args[0]);
        SimDriver host = SimDriver.host(SimOptions.defaults("holder").withPath(file), null);
        System.out.println("HOLDING " + host.file().path());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
