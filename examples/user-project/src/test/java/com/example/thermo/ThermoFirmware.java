package com.example.thermo;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.sim.RemoteServices;
import java.nio.charset.StandardCharsets;

/** What the firmware does, for tests: sensor n reads 20 + n / 2 degrees. */
public final class ThermoFirmware implements RemoteServices {
    /** The firmware's answer to a request, or null for something it does not understand. */
    static byte[] answer(String request) {
        if (!request.startsWith("T? ")) {
            return null;
        }
        int sensor = Integer.parseInt(request.substring(3).trim());
        return ("T " + sensor + " " + (20 + sensor / 2.0)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void register(RpmsgDevice device) {
        device.createEndpoint(ThermoClient.SERVICE, (ep, msg) -> {
            byte[] reply = answer(msg.asString());
            if (reply != null) {
                ep.sendTo(msg.src(), reply);
            }
        });
    }
}
