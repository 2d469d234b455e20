package com.example.thermo;

import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.reactive.RpmsgReactive;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * The JVM side of a small protocol a thermostat's firmware speaks over rpmsg: the request {@code "T? n"}
 * asks for sensor n, the firmware answers {@code "T n 21.5"} on the {@value #SERVICE} endpoint.
 */
public final class ThermoClient {
    /** The firmware's endpoint. */
    public static final String SERVICE = "thermo";

    private final RpmsgReactive rpmsg;

    public ThermoClient(RpmsgReactive rpmsg) {
        this.rpmsg = Objects.requireNonNull(rpmsg, "rpmsg");
    }

    /** The temperature of sensor {@code sensor}, in degrees Celsius. */
    public Mono<Double> temperature(int sensor) {
        byte[] request = ("T? " + sensor).getBytes(StandardCharsets.UTF_8);
        String prefix = "T " + sensor + " ";
        return rpmsg.open(SERVICE).flatMap(channel -> {
            Mono<Double> answer = channel.receive()
                    .map(RpmsgMessage::asString)
                    .filter(line -> line.startsWith(prefix))
                    .next()
                    .map(line -> Double.parseDouble(line.substring(prefix.length())));
            // Listen first, then ask: zip subscribes in order.
            return Mono.zip(answer, channel.sendBytes(Mono.just(request)).then().thenReturn(Boolean.TRUE))
                    .map(both -> both.getT1())
                    .doFinally(signal -> channel.dispose());
        });
    }
}
