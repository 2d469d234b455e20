package io.rptun.test.contract;

import io.rptun.core.virtio.Doorbell;
import io.rptun.sim.FutexDoorbell;
import io.rptun.sim.IdleStrategy;
import io.rptun.sim.SimDriver;
import io.rptun.sim.SimHeader;
import io.rptun.sim.SimOptions;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator's futex doorbell keeps the doorbell contract with its default back-off (spin, yield, park,
 * then the futex): the host's doorbell of a fresh simulator file, rung by the remote side's doorbell over
 * the same header.
 */
class FutexDoorbellContractTest extends DoorbellContract {
    @TempDir
    Path dir;
    private @Nullable SimDriver driver;
    private @Nullable FutexDoorbell peer;

    /** How the doorbell under test waits. */
    IdleStrategy idle() {
        return IdleStrategy.backoff();
    }

    /** A busy-spin doorbell says so; a back-off one may block. */
    @Override
    protected boolean spinsWithoutBlocking() {
        return idle().isBusySpin();
    }

    @Override
    protected Doorbell open() {
        SimDriver d = SimDriver.host(SimOptions.defaults("contract").withPath(dir.resolve("bell")).withIdle(idle()), null);
        driver = d;
        peer = FutexDoorbell.of(d.file().header(), SimHeader.Side.REMOTE, IdleStrategy.backoff());
        return d.futexDoorbell();
    }

    @Override
    protected void ringFromPeer(Doorbell doorbell) {
        java.util.Objects.requireNonNull(peer, "peer").notify(0);
    }

    @Override
    protected void release() {
        if (peer != null) {
            peer.close();
        }
        if (driver != null) {
            driver.close();
        }
    }
}
