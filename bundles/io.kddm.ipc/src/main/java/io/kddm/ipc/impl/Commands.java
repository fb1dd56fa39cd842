package io.kddm.ipc.impl;

import java.util.function.Supplier;

import io.kddm.api.set.KddmException;
import io.kddm.ipc.IpcException;

/**
 * How every IPC command ends: its output, or one line naming what went wrong
 * (the System V error, or the wrong argument followed by the usage), never a
 * stack trace, so that scripts read it as they read a result.
 */
final class Commands {
    private Commands() {
    }

    static String run(String name, String usage, Supplier<String> body) {
        try {
            return body.get();
        } catch (Args.Wrong e) {
            return name + ": " + e.getMessage() + "\nusage: " + name + " " + usage;
        } catch (IpcException e) {
            return name + ": " + e.getMessage();
        } catch (KddmException e) {
            return name + ": kDDM: " + e.getMessage();
        } catch (IllegalStateException e) {
            return name + ": " + e.getMessage();
        }
    }
}
