FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FMP_PRODUCTION=true
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# The site collector (fmp-collector) from the same tree: the collector service below uses it.
RUN pip install --no-cache-dir --no-deps .
RUN FMP_SECRET_KEY=build-only python manage.py compilemessages --ignore=.venv -v0 \
 && FMP_SECRET_KEY=build-only python manage.py collectstatic --noinput -v0
RUN useradd --system --home /app fmp && mkdir -p /app/media /state && chown -R fmp /app/media /state
USER fmp
EXPOSE 8000
CMD ["gunicorn", "fmp.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
