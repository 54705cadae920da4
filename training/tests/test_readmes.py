"""Package READMEs as rows: npm tarballs for training (readmes.py), PyPI wheel metadata for the external check
(package_readmes.py). Offline: archives are built here; the pinned lists are checked for shape only."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import tempfile
import unittest
import zipfile
from pathlib import Path

from bulwark_train import package_readmes, readmes


def tarball(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


class NpmReadmes(unittest.TestCase):
    def test_tarball_urls_as_the_registry_serves_them(self) -> None:
        self.assertEqual(readmes.tarball_url("ms", "2.1.3"), "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz")
        self.assertEqual(
            readmes.tarball_url("@types/node", "22.0.0"),
            "https://registry.npmjs.org/@types/node/-/node-22.0.0.tgz",
        )

    def test_integrity_is_checked_and_a_mismatch_refused(self) -> None:
        data = b"package bytes"
        good = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        readmes.check_integrity(data, good, "x")
        for bad in (good[:-4] + "AAA=", "sha1-" + good[7:]):
            with self.assertRaises(SystemExit):
                readmes.check_integrity(data, bad, "x")

    def test_the_readme_at_the_package_root_in_any_case_and_nothing_deeper(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            found = tarball(
                Path(tmp) / "a.tgz",
                {"package/docs/README.md": "deep", "package/Readme.markdown": "# Lib\nInstall it.", "package/x.js": ""},
            )
            self.assertEqual(readmes.readme(found), "# Lib\nInstall it.")
            self.assertIsNone(readmes.readme(tarball(Path(tmp) / "b.tgz", {"package/docs/README.md": "deep"})))

    def test_the_pinned_list_names_each_package_once_with_a_sha512(self) -> None:
        pins = readmes.packages()
        self.assertGreater(len(pins), 200)
        self.assertEqual(len({(p["name"], p["version"]) for p in pins}), len(pins))
        for p in pins:
            self.assertTrue(p["integrity"].startswith("sha512-"), p)
            self.assertTrue(p["license"], p)


class PypiReadmes(unittest.TestCase):
    def test_the_long_description_and_the_stated_licence_of_a_wheel(self) -> None:
        metadata = (
            "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
            "Classifier: License :: OSI Approved :: MIT License\n"
            "Description-Content-Type: text/markdown\n\n# demo\n\nRun `pip install demo`.\n"
        )
        with tempfile.TemporaryDirectory() as tmp:
            wheel = Path(tmp) / "demo-1.0-py3-none-any.whl"
            with zipfile.ZipFile(wheel, "w") as zf:
                zf.writestr("demo-1.0.dist-info/METADATA", metadata)
            self.assertEqual(package_readmes.description(wheel), ("# demo\n\nRun `pip install demo`.", "MIT License"))

    def test_the_pins_are_pure_python_wheels_with_a_sha256(self) -> None:
        pins = package_readmes.pins()
        self.assertEqual(len(pins), 71)
        for p in pins:
            self.assertTrue(p["wheel"].endswith("-none-any.whl"), p)
            self.assertRegex(p["sha256"], r"^[0-9a-f]{64}$")
        # No package the models train on (npm) has its README here by the same name and version.
        npm = {(p["name"].lower(), p["version"]) for p in readmes.packages()}
        self.assertEqual([p for p in pins if (p["package"].lower(), p["version"]) in npm], [])


if __name__ == "__main__":
    unittest.main()
