package io.rptun.test.contract;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rptun.core.RptunException;
import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunDriver;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.core.lifecycle.RptunState;
import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link RptunDriver} promises, as tests: extend this class with {@link #drivers} making the two
 * drivers of one fresh link, and JUnit runs the contract against them, each side run by an {@link Rptun} as
 * in production. rptun runs it against the simulator, OpenAMP's Linux machine and NuttX's simulator; a
 * driver of your own (a board's mailbox and carveout) gets the same checks against a peer driver of yours.
 *
 * <p>The contract, from {@link RptunDriver}'s Javadoc: driven through the lifecycle in order (resource,
 * config, start; stop, close), exactly one side is the master and both come up RUNNING; each side's
 * {@code notify} reaches the other, so messages cross both ways; {@code notify} may be called from any
 * thread at once and never blocks for long; a side whose peer never comes fails its start with a typed
 * {@link RptunException} (a {@code reason()}), not a hang; {@code stop} and {@code close} may be called
 * again; and once both sides are closed every file the pair created is gone.
 */
@Timeout(120)
public abstract class RptunDriverContract {
    /** The deadline for anything that must happen. */
    protected static final Duration WAIT = Duration.ofSeconds(20);
    /** How long {@link #aSideWhosePeerNeverComesFailsItsStartWithATypedException} lets the lone side wait. */
    protected static final Duration SHORT = Duration.ofMillis(500);

    /**
     * The two drivers of one link.
     *
     * @param first the side that starts first (the one that creates the shared file or listens), made at once
     * @param second the other side, made while the first one's {@code start} runs (it may wait for the first
     *     side's file or socket while it is made)
     * @param files every file the pair creates; none may be left once both are closed
     */
    public record Drivers(RptunDriver first, Supplier<RptunDriver> second, List<Path> files) {
        public Drivers {
            Objects.requireNonNull(first, "first");
            Objects.requireNonNull(second, "second");
            files = List.copyOf(files);
        }
    }

    /**
     * A fresh link's drivers, over files no other test uses.
     *
     * @param attachTimeout how long a side waits for its peer (to attach, connect, or boot) before it fails
     */
    protected abstract Drivers drivers(Duration attachTimeout) throws Exception;

    /** The options {@code driver}'s {@link Rptun} runs with; by default {@link RptunOptions#defaults()} with a ready timeout of {@link #WAIT}. */
    protected RptunOptions options(RptunDriver driver) {
        return RptunOptions.defaults().withReadyTimeout(WAIT);
    }

    private static final AtomicInteger SERVICES = new AtomicInteger();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** For subclasses. */
    protected RptunDriverContract() {
    }

    @AfterEach
    final void closeEverything() throws Exception {
        Exception failure = null;
        for (AutoCloseable c : toClose.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        toClose.clear();
        if (failure != null) {
            throw failure;
        }
    }

    /** Both sides of a running link. */
    protected record Link(Drivers drivers, RptunDriver firstDriver, RptunDriver secondDriver, Rptun first,
            Rptun second) {
        /** The side that lays the memory out. */
        Rptun master() {
            return first.isMaster() ? first : second;
        }

        /** The side that attaches. */
        Rptun remote() {
            return first.isMaster() ? second : first;
        }
    }

    /** Starts the first side, makes and starts the second, and waits until both are RUNNING. */
    protected final Link up() throws Exception {
        Drivers d = drivers(WAIT);
        Rptun first = Rptun.create(d.first(), options(d.first()));
        toClose.add(first);
        CompletableFuture<RpmsgDevice> firstUp = CompletableFuture.supplyAsync(first::start);
        RptunDriver secondDriver = d.second().get();
        Rptun second = Rptun.create(secondDriver, options(secondDriver));
        toClose.add(second);
        second.start();
        firstUp.get(WAIT.toSeconds() * 2, TimeUnit.SECONDS);
        second.awaitRunning(WAIT);
        return new Link(d, d.first(), secondDriver, first, second);
    }

    @Test
    public void bothSidesComeUpRunningAndExactlyOneIsTheMaster() throws Exception {
        Link link = up();
        assertEquals(RptunState.RUNNING, link.first().state());
        assertEquals(RptunState.RUNNING, link.second().state());
        assertNotEquals(link.firstDriver().isMaster(), link.secondDriver().isMaster(), "exactly one master");
        assertEquals(link.firstDriver().isMaster(), link.first().isMaster(), "Rptun takes the driver's role");
    }

    @Test
    public void eachSideNamesItselfAndItsPeer() throws Exception {
        Link link = up();
        for (RptunDriver d : List.of(link.firstDriver(), link.secondDriver())) {
            assertFalse(d.localCpuName().isEmpty(), d + ": local cpu name");
            assertFalse(d.remoteCpuName().isEmpty(), d + ": remote cpu name");
            assertNotNull(d.resource(), d + ": resource");
            assertNotNull(d.addressEnvironment(), d + ": address environment");
        }
    }

    @Test
    public void eachSidesNotifyReachesTheOtherSoMessagesCrossBothWays() throws Exception {
        Link link = up();
        echoes(link, 50);
    }

    @Test
    public void notifyFromManyThreadsAtOnceNeverBlocksAndTheLinkGoesOn() throws Exception {
        Link link = up();
        List<CompletableFuture<Void>> ringers = new ArrayList<>();
        for (RptunDriver d : List.of(link.firstDriver(), link.secondDriver())) {
            for (int t = 0; t < 3; t++) {
                ringers.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        d.notify(i % 2 == 0 ? RptunDriver.NOTIFY_ALL : i % 3);
                    }
                }));
            }
        }
        CompletableFuture.allOf(ringers.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        echoes(link, 10);
    }

    @Test
    public void closingBothSidesLeavesNoFileBehindAndStopAndCloseMayComeAgain() throws Exception {
        Link link = up();
        echoes(link, 5);
        link.second().close();
        link.first().close();
        for (RptunDriver d : List.of(link.secondDriver(), link.firstDriver())) {
            assertDoesNotThrow(() -> {
                d.stop();
                d.close();
            }, d + ": stop and close after close");
        }
        for (Path f : link.drivers().files()) {
            assertFalse(Files.exists(f, LinkOption.NOFOLLOW_LINKS), f + " is left after both sides closed");
        }
    }

    @Test
    public void aSideWhosePeerNeverComesFailsItsStartWithATypedException() throws Exception {
        Drivers d = drivers(SHORT);
        Rptun alone = Rptun.create(d.first(), options(d.first()).withReadyTimeout(SHORT));
        toClose.add(alone);
        RptunException e = assertThrows(RptunException.class, alone::start, "a start with nobody on the other side");
        assertNotNull(e.reason(), "a typed reason");
        alone.close();
        for (Path f : d.files()) {
            assertFalse(Files.exists(f, LinkOption.NOFOLLOW_LINKS), f + " is left after the lone side closed");
        }
    }

    /** An echo service on the remote side; the master sends {@code n} messages and sees each come back in order. */
    private static void echoes(Link link, int n) throws InterruptedException {
        RpmsgDevice remote = link.remote().device();
        RpmsgDevice master = link.master().device();
        String service = "contract-echo-" + SERVICES.incrementAndGet();
        remote.createEndpoint(service, (ep, msg) -> ep.sendTo(msg.src(), msg.toByteArray()));
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        RpmsgEndpoint ep = master.createEndpoint(service, (e, msg) -> got.add(msg.asString()));
        assertTrue(ep.awaitBound(WAIT), "the master's endpoint bound to the remote's service");
        for (int i = 0; i < n; i++) {
            ep.send(("m" + i).getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; i < n; i++) {
            assertEquals("m" + i, got.poll(WAIT.toSeconds(), TimeUnit.SECONDS), "echo " + i);
        }
        ep.destroy();
    }

    /** For subclasses that want to close something of their own after each test (last made, first closed). */
    protected final void closeAfter(@Nullable AutoCloseable c) {
        if (c != null) {
            toClose.add(c);
        }
    }
}
