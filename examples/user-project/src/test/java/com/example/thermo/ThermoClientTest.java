package com.example.thermo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rptun.core.lifecycle.Rptun;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.reactive.RpmsgReactive;
import io.rptun.sim.NuttxSimDriver;
import io.rptun.sim.NuttxSimOptions;
import io.rptun.test.RptunLink;
import io.rptun.test.RptunLinkExtension;
import io.rptun.test.Transport;
import io.rptun.test.nuttx.NuttxModelOptions;
import io.rptun.test.nuttx.NuttxProxyModel;
import io.rptun.test.nuttx.NuttxRpmsg;
import io.rptun.test.nuttx.NuttxSide;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The client against the firmware's behaviour, with no board: over each transport, and a NuttX proxy. */
@ExtendWith(RptunLinkExtension.class)
@Timeout(120)
class ThermoClientTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @RptunLink(transport = Transport.SIM_FILE, services = ThermoFirmware.class, echo = false, sink = false)
    void readsASensorOverTheSimulator(RpmsgReactive rpmsg) {
        assertEquals(21.5, new ThermoClient(rpmsg).temperature(3).block(WAIT));
    }

    @Test
    @RptunLink(transport = Transport.CHILD_JVM, services = ThermoFirmware.class, echo = false, sink = false)
    void readsASensorFromAFirmwareInAnotherProcess(RpmsgReactive rpmsg) {
        ThermoClient client = new ThermoClient(rpmsg);
        assertEquals(20.0, client.temperature(0).block(WAIT));
        assertEquals(25.0, client.temperature(10).block(WAIT));
    }

    @Test
    void readsASensorFromNuttxsProxy(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server-proxy");
        NuttxSimOptions options = NuttxSimOptions.defaults().withPath(file).withAttachTimeout(WAIT);
        try (NuttxProxyModel proxy = new NuttxProxyModel(file, NuttxModelOptions.defaults());
                Rptun server = Rptun.create(NuttxSimDriver.server(options), RptunOptions.defaults()
                        .withReadyCommand(false).withMailboxTimeout(Duration.ofMillis(300)))) {
            CompletableFuture<?> up = CompletableFuture.runAsync(server::start);
            while (!Files.exists(file)) {
                Thread.sleep(5);
            }
            proxy.start();
            up.get(60, TimeUnit.SECONDS);
            while (proxy.state() != NuttxSide.State.RUNNING) {
                Thread.sleep(5);
            }
            // The firmware's endpoint, as NuttX would run it on the proxy.
            proxy.rpmsg().createEndpoint(ThermoClient.SERVICE, NuttxRpmsg.ADDR_ANY, (ep, data, src) -> {
                byte[] reply = ThermoFirmware.answer(new String(data, StandardCharsets.UTF_8));
                if (reply != null) {
                    ep.send(reply);
                }
            });
            assertEquals(22.0, new ThermoClient(RpmsgReactive.create(server)).temperature(4).block(WAIT));
            assertNull(proxy.fault());
        }
    }
}
