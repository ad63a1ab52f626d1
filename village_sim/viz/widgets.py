"""The chart widget: Vega-Lite in the browser, loaded from the local copy of the CDN.

Solara's own ``VegaLite`` widget asks for ``vega@5``, ``vega-lite@5`` and ``vega-embed@6``; the
offline copy that ``solara-assets`` installs only holds exact versions (``vega@5.21.0`` ...), so
offline the charts stayed empty and the console filled with errors. :class:`VegaChart` loads the
versions found in that copy (:func:`vega_libs`). Specs put their rows in named ``datasets``
(see :mod:`village_sim.viz.charts`): when only those change, as after a Step, the widget swaps
the data of the running view instead of embedding the chart anew.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import ipyvuetify as v
import traitlets

LIBS: dict[str, int] = {"vega": 5, "vega-lite": 5, "vega-embed": 6}
"""The libraries and the major versions the specs are written for."""


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text))


@functools.cache
def vega_libs(cdn_dir: str | None = None) -> dict[str, str]:
    """``name@version`` of vega, vega-lite and vega-embed to load.

    Args:
        cdn_dir: The local CDN copy (default: Solara's ``assets.proxy_cache_dir``).

    Returns:
        The newest local version of each library with the expected major version (its
        ``build/NAME.min.js`` present), else ``name@major`` (resolved by the online CDN).
    """
    if cdn_dir is None:
        from solara.server import settings

        cdn_dir = str(settings.assets.proxy_cache_dir)
    root = Path(cdn_dir)
    out = {}
    for name, major in LIBS.items():
        found = (
            sorted(
                (
                    p.name
                    for p in root.glob(f"{name}@{major}.*")
                    if (p / "build" / f"{name}.min.js").is_file()
                ),
                key=lambda n: _version_key(n.split("@", 1)[1]),
            )
            if root.is_dir()
            else []
        )
        out[name] = found[-1] if found else f"{name}@{major}"
    return out


TEMPLATE = r"""<template>
    <div>
        <div ref="plotElement" class="vs-vega"></div>
    </div>
</template>
<script>
// A Vega-Lite chart for village_sim's visualization. Like solara's VegaLite widget, but it loads
// vega, vega-lite and vega-embed by the exact versions the Python side found in solara-assets'
// local copy of the CDN (``libs``), so the page works offline. When a new spec differs from the
// last only in its named ``datasets``, the view keeps running and only its data are swapped
// (much cheaper than compiling and embedding the chart again); otherwise the chart is rebuilt.
module.exports = {
    created() {
        this.vegaLoaded = this.loadVega();
        this.gone = false;
        this.busy = false;
        this.again = false;
        this.do_plot_debounced = _.debounce(() => this.schedule(), 50);
    },
    mounted() {
        this.do_plot_debounced();
    },
    destroyed() {
        this.gone = true;
        this.do_plot_debounced.cancel();
        if (this.view) {
            this.view.finalize();
            this.view = null;
        }
    },
    watch: {
        spec() {
            this.do_plot_debounced();
        },
    },
    methods: {
        schedule() {
            // one drawing at a time, always of the newest spec
            if (this.busy) {
                this.again = true;
                return;
            }
            this.busy = true;
            (async () => {
                try {
                    await this.vegaLoaded;
                    do {
                        this.again = false;
                        if (this.gone || !this.$refs.plotElement) {
                            return;
                        }
                        await this.do_plot();
                    } while (this.again);
                } finally {
                    this.busy = false;
                }
            })();
        },
        do_plot() {
            return new Promise((resolve, reject) => {
                require(['vega', 'vega-lite', 'vega-embed'], (vega, vl, vegaEmbed) => {
                    this.draw(vega, vegaEmbed).then(resolve, reject);
                }, reject);
            });
        },
        async draw(vega, vegaEmbed) {
            const spec = this.spec;
            const datasets = spec.datasets || {};
            const shape = JSON.stringify({...spec, datasets: null});
            const names = Object.keys(datasets);
            if (this.gone) {
                return;
            }
            if (this.view && shape === this.shape && names.length) {
                // same chart, new numbers: swap the data, keep the view
                for (const name of names) {
                    this.view.change(name, vega.changeset()
                        .remove(vega.truthy).insert(datasets[name]));
                }
                await this.view.runAsync();
                return;
            }
            const options = {
                renderer: "svg",
                actions: {export: true, source: false, compiled: false, editor: false},
            };
            if (this.view) {
                this.view.finalize();
                this.view = null;
            }
            // loading the libraries is asynchronous: the component may have gone meanwhile
            // (a Reset, a tab switch), and vega-embed throws on a missing element
            const element = this.$refs.plotElement;
            if (this.gone || !element) {
                return;
            }
            const result = await vegaEmbed(element, spec, options);
            if (this.gone) {
                result.view.finalize();
                return;
            }
            this.view = result.view;
            this.shape = shape;
        },
        async loadVega() {
            await this.loadRequire();
            requirejs.undef("vega");
            requirejs.undef("vega-lite");
            requirejs.undef("vega-embed");
            const cdn = this.getCdn();
            require.config({
                map: {
                    '*': {
                        'vega': `${cdn}/${this.libs.vega}/build/vega.min.js`,
                        'vega-lite': `${cdn}/${this.libs["vega-lite"]}/build/vega-lite.min.js`,
                        'vega-embed': `${cdn}/${this.libs["vega-embed"]}/build/vega-embed.min.js`,
                    }
                }
            });
            await new Promise((resolve, reject) => {
                require(['vega', 'vega-lite', 'vega-embed'], () => resolve(), reject);
            });
        },
        loadRequire() {
            if (window.requirejs) {
                return Promise.resolve();
            }
            return new Promise((resolve, reject) => {
                const script = document.createElement('script');
                script.src = `${this.getCdn()}/requirejs@2.3.6/require.js`;
                script.onload = resolve;
                script.onerror = reject;
                document.head.appendChild(script);
            });
        },
        getJupyterBaseUrl() {
            if (document.getElementsByTagName("base").length) {
                return "./";
            }
            const labConfigData = document.getElementById('jupyter-config-data');
            if (labConfigData) {
                return JSON.parse(labConfigData.textContent).baseUrl;
            }
            let base = document.body.dataset.baseUrl || document.baseURI;
            if (!base.endsWith('/')) {
                base += '/';
            }
            return base;
        },
        getCdn() {
            return window.solara ? window.solara.cdn : `${this.getJupyterBaseUrl()}_solara/cdn`;
        }
    },
}
</script>
"""


class VegaChart(v.VuetifyTemplate):
    """A Vega-Lite chart (``spec``: a Vega-Lite 5 specification as a dictionary)."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    spec = traitlets.Dict().tag(sync=True)
    libs = traitlets.Dict().tag(sync=True)

    @traitlets.default("libs")
    def _default_libs(self) -> dict[str, str]:
        return vega_libs()
