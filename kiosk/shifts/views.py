from flask import Blueprint

bp = Blueprint("shifts", __name__, template_folder="templates")
