"""The explorer's pages in headless Chromium (Debian's chromium, chromium-driver, python3-selenium):
search as you type, a node page, depths, expand and collapse, a click on the diagram, hover, zoom,
the path view, a query with an error and its carets, a diagram query, exports, the impact view,
a hostile name, and the pages with JavaScript off. A screenshot of each view goes to --screenshots.

    /usr/bin/python3 Tests/Web/browser_test.py --pedigree .build/debug/pedigree --screenshots docs/screenshots
"""
import argparse
import os
import sys
import tempfile
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(__file__))
from webstore import EVIL_NAME, Explorer, check, fetch, finish, make_store  # noqa: E402

def browser(javascript=True):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900",
              "--hide-scrollbars", "--force-device-scale-factor=1", "--lang=en-US"):
        o.add_argument(a)
    if not javascript:
        o.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(30)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pedigree", required=True)
    ap.add_argument("--screenshots", required=True)
    args = ap.parse_args()
    pedigree = os.path.abspath(args.pedigree)
    shots = os.path.abspath(args.screenshots)
    os.makedirs(shots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="pedigree-web-browser.")
    db = os.path.join(work, "demo.sqlite")
    recs, evil = make_store(pedigree, db)
    server = Explorer(pedigree, ["web", "--db", db, "--port", "0"])
    base = server.base
    d = browser()
    wait = WebDriverWait(d, 15)

    def shot(name):
        d.save_screenshot(os.path.join(shots, name + ".png"))

    def after(action, cond):
        """Does `action` (which loads a page) and waits for the new page, whose URL meets `cond`."""
        old = d.find_element(By.TAG_NAME, "html")
        action()
        wait.until(EC.staleness_of(old))
        wait.until(lambda _: cond(d.current_url) and d.execute_script("return document.readyState") == "complete")

    def rows():
        return len(d.find_elements(By.CSS_SELECTOR, "#lineage-nodes tbody tr"))

    def no_alert():
        try:
            d.switch_to.alert.dismiss()
            return False
        except NoAlertPresentException:
            return True

    try:
        # Search: results as you type, and the URL follows.
        d.get(base + "/")
        box = d.find_element(By.ID, "search")
        box.send_keys("taxi-run-4/mod")
        wait.until(lambda _: "match" in d.find_element(By.ID, "results").text)
        links = d.find_elements(By.CSS_SELECTOR, "#results a.node")
        check(any("/node/artifact/29" in a.get_attribute("href") for a in links), "search finds artifact 29 as you type")
        check("q=taxi-run-4%2Fmod" in d.current_url or "q=taxi-run-4/mod" in d.current_url, f"the search is in the URL: {d.current_url}")
        box.clear()
        box.send_keys("model")
        wait.until(lambda _: "first" in d.find_element(By.ID, "result-count").text or "6 matches" in d.find_element(By.ID, "result-count").text
                   or len(d.find_elements(By.CSS_SELECTOR, "#results a.node")) > 3)
        shot("search")

        # Open a node from the results.
        next(a for a in d.find_elements(By.CSS_SELECTOR, "#results a.node") if a.get_attribute("href").endswith("/node/artifact/29")).click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#diagram svg")))
        check("Model" in d.find_element(By.TAG_NAME, "h1").text, "the node page's title")
        check(len(d.find_elements(By.CSS_SELECTOR, "#diagram g.node")) >= 5, "the diagram has nodes")
        check(d.find_elements(By.CSS_SELECTOR, "#diagram g#artifact-29"), "the focus is drawn")
        before = rows()

        # Depths: change upstream, the form applies itself, the URL carries it.
        after(lambda: Select(d.find_element(By.ID, "up")).select_by_visible_text("5"), lambda u: "up=5" in u)
        check(rows() > before, f"a deeper view shows more nodes ({before} -> {rows()})")
        after(lambda: Select(d.find_element(By.ID, "down")).select_by_visible_text("0"), lambda u: "down=0" in u)
        shot("node")

        # Expand a node at the edge of the view.
        after(lambda: Select(d.find_element(By.ID, "up")).select_by_visible_text("1"), lambda u: "up=1" in u)
        few = rows()
        after(lambda: d.find_element(By.CSS_SELECTOR, "#lineage-nodes a.expand").click(), lambda u: "expand=" in u)
        check(rows() > few, f"expand adds nodes ({few} -> {rows()})")
        # Collapse it again by its own link, then collapse the trainer.
        after(lambda: d.find_element(By.CSS_SELECTOR, "#lineage-nodes a.unexpand").click(), lambda u: "expand=" not in u)
        check(rows() == few, "unexpand restores the view")
        after(lambda: Select(d.find_element(By.ID, "up")).select_by_visible_text("4"), lambda u: "up=4" in u)
        many = rows()
        trainer_row = next(r for r in d.find_elements(By.CSS_SELECTOR, "#lineage-nodes tbody tr") if r.get_attribute("data-node").startswith("execution:")
                           and "Trainer" in r.text)
        after(lambda: trainer_row.find_element(By.CSS_SELECTOR, "a.collapse").click(), lambda u: "collapse=execution" in u)
        check(rows() < many, f"collapse hides what lies beyond ({many} -> {rows()})")
        check("beyond collapsed" in d.find_element(By.ID, "notes").text, "the hidden count is said")
        check("hidden" in d.find_element(By.CSS_SELECTOR, "#lineage-nodes a.uncollapse").text, "uncollapse link with its count")
        shot("node-collapsed")

        # Type filter: untick one type.
        d.get(base + "/node/artifact/29?up=4&down=2")
        boxes = d.find_elements(By.CSS_SELECTOR, "#type-filter input[type=checkbox]")
        schema = next(b for b in boxes if b.get_attribute("value") == "Schema")
        after(schema.click, lambda u: "offered=" in u)
        shown = [t.text for t in d.find_elements(By.CSS_SELECTOR, "#lineage-nodes tbody tr td:first-child .type")]
        check("Schema" not in shown and "Examples" in shown, f"the filter hides Schema: {shown}")
        check("left out by the filter" in d.find_element(By.ID, "notes").text, "the filter's count is said")

        # Hover a node in the diagram: its details.
        d.get(base + "/node/artifact/29?up=3&down=1")
        target = d.find_element(By.CSS_SELECTOR, "#diagram g.node:not(#artifact-29)")
        ActionChains(d).move_to_element(target).perform()
        wait.until(lambda _: d.find_element(By.ID, "hover").is_displayed())
        check("hops" in d.find_element(By.ID, "hover").text, "hover shows the node's details")

        # Zoom changes the view box.
        svg = d.find_element(By.CSS_SELECTOR, "#diagram svg")
        def view_box():
            return [round(float(x), 2) for x in d.execute_script("return arguments[0].getAttribute('viewBox')", svg).split()]
        box_before = view_box()
        d.find_element(By.CSS_SELECTOR, "#diagram [data-zoom=in]").click()
        check(view_box() != box_before, "zoom in")
        d.find_element(By.CSS_SELECTOR, "#diagram [data-zoom=fit]").click()
        check(view_box() == box_before, "fit restores the view")

        # Follow a link: click a node of the diagram.
        node_id = target.get_attribute("id")
        kind, nid = node_id.split("-")
        after(lambda: d.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", target.find_element(By.CSS_SELECTOR, "text")),
              lambda u: f"/node/{kind}/{nid}" in u)
        check("up=3" in d.current_url, "a click keeps the depths")
        check(f"{kind} {nid}" in d.find_element(By.TAG_NAME, "h1").text, "the clicked node's page")

        # Path view between two nodes.
        far = d.execute_script("return JSON.parse(document.getElementById('lineage-data').textContent).nodes"
                               ".filter(n => n.distance <= -2 && n.kind === 'artifact')[0]")
        if far:
            field = d.find_element(By.ID, "path")
            after(lambda: field.send_keys(f"artifact:{far['id']}\n"), lambda u: "path=artifact" in u)
            check(rows() >= 3, "the path view shows the nodes between")
            shot("path")

        # Exports of the view: each answers its format.
        d.get(base + "/node/artifact/29?up=3&down=1")
        magic = {"svg": b"<?xml", "png": b"\x89PNG", "dot": b"digraph", "mermaid": b"flowchart", "csv": b"kind,id", "json": b"{"}
        for a in d.find_elements(By.CSS_SELECTOR, "#exports a"):
            f = a.get_attribute("data-format")
            code, _, body = fetch(a.get_attribute("href"))
            check(code == 200 and body.startswith(magic[f]), f"export {f}: {code} {body[:20]!r}")
        check(len(d.find_elements(By.CSS_SELECTOR, "#exports a")) == 6, "six exports")

        # A query with an error: its carets under the text.
        d.get(base + "/query")
        q = d.find_element(By.ID, "q")
        q.send_keys("artifact(type = 'Modell') downstream*")
        live = wait.until(EC.visibility_of_element_located((By.ID, "live-diagnostics")))
        check("^^^^^^^^" in live.text, "diagnostics as you type")
        after(d.find_element(By.ID, "run").click, lambda u: "q=" in u)
        diag = wait.until(EC.presence_of_element_located((By.ID, "diagnostics")))
        check("^^^^^^^^" in diag.text and "did you mean 'Model'?" in diag.text, "the diagnostics show carets and the hint")
        check("q=artifact" in d.current_url, "the query is in the URL")
        shot("query-error")
        # A good one as a table, then as a diagram.
        q = d.find_element(By.ID, "q")
        q.clear()
        q.send_keys("artifact(type = 'Examples') downstream* artifact(type = 'Model')")
        after(d.find_element(By.ID, "run").click, lambda u: "Examples" in urllib.parse.unquote_plus(u))
        wait.until(EC.presence_of_element_located((By.ID, "results-table")))
        check(len(d.find_elements(By.CSS_SELECTOR, "#results-table tbody tr")) >= 4, "query rows")
        d.find_element(By.CSS_SELECTOR, "input[name=view][value=diagram]").click()
        after(d.find_element(By.ID, "run").click, lambda u: "view=diagram" in u)
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#diagram svg")))
        shot("query")
        for a in d.find_elements(By.CSS_SELECTOR, "#exports a"):
            f = a.get_attribute("data-format")
            code, _, body = fetch(a.get_attribute("href"))
            check(code == 200 and len(body) > 20, f"query export {f}")

        # Impact.
        d.get(base + "/node/artifact/1")
        after(d.find_element(By.ID, "impact-link").click, lambda u: "/impact/" in u)
        check(int(d.find_element(By.ID, "downstream-total").text.replace(",", "")) > 10, "downstream total")
        check("--token d1-" in d.find_element(By.ID, "delete-command").text, "the dry run's token")
        after(d.find_element(By.ID, "scope-downstream").click, lambda u: "scope=downstream" in u)
        check("downstream{0,}" in d.find_element(By.ID, "delete-query").text, "the downstream scope")
        shot("impact")

        # A hostile name is text, and runs nothing.
        d.get(base + f"/node/artifact/{evil}?up=2&down=1")
        check(no_alert(), "no script ran on the node page")
        check(d.find_element(By.ID, "node-name").text == EVIL_NAME, "the name shows as text")
        d.get(base + "/?" + urllib.parse.urlencode({"q": "<script>"}))
        check(no_alert(), "no script ran on the search page")
        check(any(EVIL_NAME in a.text for a in d.find_elements(By.CSS_SELECTOR, "#results a.node")), "found by its name")
        d.find_element(By.ID, "search").send_keys(" ")
        wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, "#results a.node")) >= 1)
        check(no_alert(), "no script ran from the API's answer")
    finally:
        d.quit()

    # JavaScript off: plain links and forms.
    d = browser(javascript=False)
    try:
        d.get(base + "/")
        d.find_element(By.ID, "search").send_keys("model\n")
        WebDriverWait(d, 15).until(lambda _: "q=model" in d.current_url)
        links = d.find_elements(By.CSS_SELECTOR, "#results a.node")
        check(len(links) >= 4, "search works without script")
        links[0].click()
        WebDriverWait(d, 15).until(lambda _: "/node/" in d.current_url)
        Select(d.find_element(By.ID, "up")).select_by_visible_text("4")
        d.find_element(By.ID, "apply").click()
        WebDriverWait(d, 15).until(lambda _: "up=4" in d.current_url)
        check(len(d.find_elements(By.CSS_SELECTOR, "#lineage-nodes tbody tr")) > 3, "Apply works without script")
    finally:
        d.quit()
        server.stop()
    finish("web browser")


if __name__ == "__main__":
    main()
