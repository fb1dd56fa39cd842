package io.kddm.api.linker;

import io.kddm.api.set.SetIds;

/**
 * A range of well-known set ids ({@code first..last}, node bits 0) that a
 * family claims: any node opens such a set by itself the first time it needs
 * it, a home too when a request for it arrives. A family with a set per file or
 * per directory (kDFS) uses it, so that nobody has to create or configure them.
 *
 * @param first the first set id claimed
 * @param last  the last set id claimed; below {@code first} for none
 */
public record WellKnownSets(long first, long last) {
    public static final WellKnownSets NONE = new WellKnownSets(1, 0);

    public WellKnownSets {
        if (first <= last && (!SetIds.wellKnown(first) || !SetIds.wellKnown(last))) {
            throw new IllegalArgumentException("well-known set ids have node bits 0: " + SetIds.format(first) + ".."
                    + SetIds.format(last));
        }
    }

    public boolean contains(long setId) {
        return setId >= first && setId <= last;
    }
}
