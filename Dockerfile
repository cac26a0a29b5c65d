# optviz served as one Streamlit replica per core behind HAProxy: `optviz serve`.
#   docker build -t optviz . && docker run -p 8501:8501 optviz
# (Written for a real deployment; the development machine has no Docker engine to build it on.)
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The pinned set first (a layer that changes only with the lock), then optviz itself.
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md LICENSE app.py ./
COPY .streamlit .streamlit
COPY optviz optviz
RUN pip install --no-cache-dir --no-deps . \
 && pip install --no-cache-dir "redis>=5.0"  # the optional shared result store (OPTVIZ_REDIS_URL)

# Compile every program the pages need into the image's persistent JAX cache, so that a new
# container's replicas load them instead of compiling (JAX recompiles if the host CPU differs).
ENV OPTVIZ_JAX_CACHE=/app/.jax-cache PYTHONUNBUFFERED=1
RUN python -m optviz warmup

EXPOSE 8501
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2)"
# --workers defaults to the container's core count; set it to the CPUs the container is given.
CMD ["optviz", "serve", "--port", "8501", "--address", "0.0.0.0"]
