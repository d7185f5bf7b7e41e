"""An explorer's two faces (helpers/explorers/faces.py): a live face shows as a widget view under
ipywidgets 8 and under Colab's ipywidgets 7."""


def test_widget_bundle_shows_a_view_under_ipywidgets_8_and_7():
    import ipywidgets as w

    from helpers.explorers import widget_bundle
    view = w.VBox([w.IntSlider()])
    assert widget_bundle(view)["application/vnd.jupyter.widget-view+json"]["model_id"] == view.model_id

    class Version7Widget:            # ipywidgets 7: _ipython_display_, no _repr_mimebundle_
        model_id = "abc123"
    shown = widget_bundle(Version7Widget())["application/vnd.jupyter.widget-view+json"]
    assert shown == {"version_major": 2, "version_minor": 0, "model_id": "abc123"}
