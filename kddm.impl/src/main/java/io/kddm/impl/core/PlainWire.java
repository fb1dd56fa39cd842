package io.kddm.impl.core;

import io.kddm.api.linker.IoLinker;
import io.kddm.api.linker.SetContext;

/**
 * Whether an IO linker keeps the interface's export and import, which send the
 * canonical bytes as they are: then the core may move its objects without it
 * while its bundle is being updated.
 */
final class PlainWire {
    private PlainWire() {
    }

    static boolean of(IoLinker linker) {
        return inherited(linker, "export") && inherited(linker, "importObject");
    }

    private static boolean inherited(IoLinker linker, String method) {
        try {
            return linker.getClass().getMethod(method, SetContext.class, long.class, byte[].class)
                    .getDeclaringClass() == IoLinker.class;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("IoLinker." + method + " is missing", e);
        }
    }
}
